package io.coffer.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays the Job controller and the kubelet against the mock API: for each new Job it creates the
 * pod, resolves Secrets, ConfigMaps and volumes to local files, runs the container's command as a
 * local {@code coffer} process (the real engine), then writes pod status (with the termination
 * message the engine wrote) and Job status, as Kubernetes would. PersistentVolumeClaims map to
 * local folders.
 */
public final class LocalKubelet implements AutoCloseable {
  /**
   * The downward API's path of one annotation: {@code metadata.annotations['coffer.io/request']}.
   */
  private static final Pattern ANNOTATION = Pattern.compile("metadata\\.annotations\\['(.+)'\\]");

  private final KubernetesClient client;
  private final Path work;
  private final Map<String, Path> claims = new ConcurrentHashMap<>();
  private final Map<String, String> extraEnv = new ConcurrentHashMap<>();
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final Set<String> killed = ConcurrentHashMap.newKeySet();

  /** Names of Jobs whose container was stopped because the Job was deleted while it ran. */
  public Set<String> killed() {
    return Set.copyOf(killed);
  }

  private final ExecutorService runner = Executors.newFixedThreadPool(2);
  private final Watch watch;

  /**
   * A watch can miss events when its connection is replaced; a periodic look picks up any Job not
   * yet run.
   */
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "local-kubelet-sweep");
            t.setDaemon(true);
            return t;
          });

  private volatile CountDownLatch hold = new CountDownLatch(0);

  /**
   * Pods of new Jobs wait (created, not started) until {@link #release()}: time for a test to
   * restart the operator.
   */
  public void hold() {
    hold = new CountDownLatch(1);
  }

  public void release() {
    hold.countDown();
  }

  private final MockKubernetes mock;

  public LocalKubelet(MockKubernetes mock, Path work) {
    this.mock = mock;
    this.client = mock.client();
    this.work = work;
    this.watch =
        client
            .batch()
            .v1()
            .jobs()
            .inAnyNamespace()
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Job job) {
                    String key =
                        job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
                    if (action == Action.ADDED && seen.add(key)) {
                      runner.submit(() -> run(job));
                    } else if (action == Action.DELETED) {
                      // the Job controller deletes a deleted Job's pods: the container gets SIGTERM
                      Process p = running.remove(key);
                      if (p != null) {
                        p.destroy();
                        killed.add(job.getMetadata().getName());
                      }
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            for (Job job : client.batch().v1().jobs().inAnyNamespace().list().getItems()) {
              if (job.getStatus() == null
                  || job.getStatus().getConditions() == null
                  || job.getStatus().getConditions().isEmpty()) {
                if (seen.add(job.getMetadata().getNamespace() + "/" + job.getMetadata().getName()))
                  runner.submit(() -> run(job));
              }
            }
          } catch (RuntimeException e) {
            // the next sweep tries again
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
  }

  private volatile Random chaos;
  private volatile long chaosMaxMillis;

  /**
   * Kills (SIGKILL) the container of every first attempt at a random moment within {@code
   * maxMillis} of its start, as an OOM kill or a node failure would; later attempts run in peace.
   * {@code null} turns it off.
   */
  public void killFirstAttempts(Random random, long maxMillis) {
    this.chaosMaxMillis = maxMillis;
    this.chaos = random;
  }

  /** Backs a PersistentVolumeClaim with a local folder. */
  public LocalKubelet claim(String name, Path dir) {
    claims.put(name, dir);
    return this;
  }

  /** Environment every pod gets in addition (e.g. an S3 endpoint on loopback). */
  public LocalKubelet env(String name, String value) {
    extraEnv.put(name, value);
    return this;
  }

  private void run(Job job) {
    String ns = job.getMetadata().getNamespace();
    try {
      Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
      Map<String, String> labels =
          new HashMap<>(job.getSpec().getTemplate().getMetadata().getLabels());
      labels.put("job-name", job.getMetadata().getName());
      Pod pod =
          client
              .pods()
              .inNamespace(ns)
              .resource(
                  new PodBuilder()
                      .withNewMetadata()
                      .withName(job.getMetadata().getName() + "-x1")
                      .withNamespace(ns)
                      .withLabels(labels)
                      .withCreationTimestamp(Instant.now().toString())
                      .endMetadata()
                      .withSpec(job.getSpec().getTemplate().getSpec())
                      .build())
              .create();
      Path podDir = Files.createTempDirectory(work, "pod");
      Map<String, Path> mounts = new HashMap<>();
      for (VolumeMount m : c.getVolumeMounts()) {
        Volume v =
            job.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(x -> x.getName().equals(m.getName()))
                .findFirst()
                .orElseThrow();
        Path local;
        if (v.getPersistentVolumeClaim() != null) {
          local = claims.get(v.getPersistentVolumeClaim().getClaimName());
          if (local == null) {
            fail(
                job,
                pod,
                "ContainerCreating",
                "persistentvolumeclaim \""
                    + v.getPersistentVolumeClaim().getClaimName()
                    + "\" not found");
            return;
          }
          if (m.getSubPath() != null) local = local.resolve(m.getSubPath());
        } else if (v.getSecret() != null || v.getConfigMap() != null) {
          local = Files.createDirectories(podDir.resolve(m.getName()));
          Map<String, String> data =
              v.getSecret() != null
                  ? PodFiles.secret(client, ns, v.getSecret().getSecretName())
                  : PodFiles.configMap(client, ns, v.getConfigMap().getName());
          boolean optional =
              Boolean.TRUE.equals(
                  v.getSecret() != null
                      ? v.getSecret().getOptional()
                      : v.getConfigMap().getOptional());
          if (data == null && optional) data = Map.of(); // as a kubelet: an empty folder
          if (data == null) {
            fail(
                job,
                pod,
                "CreateContainerConfigError",
                (v.getSecret() != null
                        ? "secret \"" + v.getSecret().getSecretName()
                        : "configmap \"" + v.getConfigMap().getName())
                    + "\" not found");
            return;
          }
          var items =
              v.getSecret() != null ? v.getSecret().getItems() : v.getConfigMap().getItems();
          for (var item : items) {
            if (data.get(item.getKey()) == null && optional) continue;
            if (data.get(item.getKey()) == null) {
              fail(job, pod, "CreateContainerConfigError", "couldn't find key " + item.getKey());
              return;
            }
            Files.writeString(local.resolve(item.getPath()), data.get(item.getKey()));
          }
        } else if (v.getDownwardAPI() != null) {
          local = Files.createDirectories(podDir.resolve(m.getName()));
          for (var item : v.getDownwardAPI().getItems()) {
            Matcher a = ANNOTATION.matcher(item.getFieldRef().getFieldPath());
            Map<String, String> annotations =
                job.getSpec().getTemplate().getMetadata().getAnnotations();
            String value =
                a.matches() && annotations != null ? annotations.getOrDefault(a.group(1), "") : "";
            Files.writeString(local.resolve(item.getPath()), value);
          }
        } else {
          local = Files.createDirectories(podDir.resolve(m.getName()));
        }
        mounts.put(m.getMountPath(), local);
      }
      for (VolumeMount m : c.getVolumeMounts()) {
        Volume v =
            job.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(x -> x.getName().equals(m.getName()))
                .findFirst()
                .orElseThrow();
        if (v.getDownwardAPI() == null) continue;
        for (var item : v.getDownwardAPI().getItems()) {
          PodFiles.rewriteDocument(
              mounts.get(m.getMountPath()).resolve(item.getPath()),
              mounts,
              "/dev/termination-log",
              podDir.resolve("termination-log"));
        }
      }
      Map<String, String> env = new HashMap<>(extraEnv);
      for (EnvVar e : c.getEnv()) {
        if (e.getValue() != null) {
          env.put(e.getName(), e.getValue());
        } else {
          var ref = e.getValueFrom().getSecretKeyRef();
          Map<String, String> data = PodFiles.secret(client, ns, ref.getName());
          if (data == null || data.get(ref.getKey()) == null) {
            fail(
                job,
                pod,
                "CreateContainerConfigError",
                "secret \"" + ref.getName() + "\" not found or lacks key " + ref.getKey());
            return;
          }
          env.put(e.getName(), data.get(ref.getKey()));
        }
      }
      Path termination = podDir.resolve("termination-log");
      List<String> args = new ArrayList<>();
      for (String a : c.getArgs())
        args.add(PodFiles.rewrite(a, mounts, "/dev/termination-log", termination));
      hold.await();
      Path log = podDir.resolve("log.txt");
      mock.servePodLog(ns, pod.getMetadata().getName(), log);
      setPod(
          pod,
          new ContainerStateBuilder()
              .withNewRunning()
              .withStartedAt(Instant.now().toString())
              .endRunning()
              .build(),
          "Running");
      String key = ns + "/" + job.getMetadata().getName();
      Process process = Cli.startLogged(podDir, env, log, args.toArray(String[]::new));
      running.put(key, process);
      Random r = chaos;
      if (r != null && "1".equals(job.getMetadata().getLabels().get("coffer.io/attempt"))) {
        long delay;
        synchronized (r) {
          delay = r.nextLong(chaosMaxMillis);
        }
        sweeper.schedule(
            () -> {
              process.destroyForcibly();
            },
            delay,
            TimeUnit.MILLISECONDS);
      }
      if (!process.waitFor(120, TimeUnit.SECONDS)) process.destroyForcibly();
      int exit = process.waitFor();
      if (running.remove(key) == null)
        return; // the Job was deleted while it ran: nothing left to write status to
      String message = Files.exists(termination) ? Files.readString(termination) : "";
      setPod(
          pod,
          new ContainerStateBuilder()
              .withNewTerminated()
              .withExitCode(exit)
              .withMessage(message)
              .withReason(exit == 0 ? "Completed" : "Error")
              .withFinishedAt(Instant.now().toString())
              .endTerminated()
              .build(),
          exit == 0 ? "Succeeded" : "Failed");
      setJob(job, exit == 0);
    } catch (Exception e) {
      if (runner.isShutdown()) return; // the node is going away: nothing to report
      // the executor would swallow it: say it, as a kubelet's log would
      System.err.println(
          "local kubelet: running Job " + job.getMetadata().getName() + " failed: " + e);
      e.printStackTrace();
    }
  }

  private void fail(Job job, Pod pod, String reason, String message) {
    setPod(
        pod,
        new ContainerStateBuilder()
            .withNewWaiting()
            .withReason(reason)
            .withMessage(message)
            .endWaiting()
            .build(),
        "Pending");
  }

  private void setPod(Pod pod, io.fabric8.kubernetes.api.model.ContainerState state, String phase) {
    Pod p =
        client
            .pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .get();
    p.setStatus(
        new PodStatusBuilder()
            .withPhase(phase)
            .withStartTime(Instant.now().toString())
            .withContainerStatuses(
                new ContainerStatusBuilder().withName("engine").withState(state).build())
            .build());
    client.pods().resource(p).updateStatus();
  }

  private void setJob(Job job, boolean ok) {
    Job j =
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace(job.getMetadata().getNamespace())
            .withName(job.getMetadata().getName())
            .get();
    j.setStatus(
        new JobStatusBuilder()
            .withSucceeded(ok ? 1 : 0)
            .withFailed(ok ? 0 : 1)
            .withConditions(
                new JobConditionBuilder()
                    .withType(ok ? "Complete" : "Failed")
                    .withStatus("True")
                    .withReason(ok ? null : "BackoffLimitExceeded")
                    .withMessage(ok ? null : "Job has reached the specified backoff limit")
                    .build())
            .build());
    client.batch().v1().jobs().resource(j).updateStatus();
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    watch.close();
    runner.shutdownNow();
    // as when a node goes away: no container outlives its kubelet (nor holds connections to the
    // embedded servers)
    for (Process p : running.values()) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
