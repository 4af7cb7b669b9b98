package io.coffer.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * One Node of a real API server, played by this process, as KWOK plays nodes: it registers the Node
 * (capacity, addresses, its kubelet port) and renews its Lease, runs the pods the scheduler binds
 * to it, writes their status through the status subresource, stops them on deletion (SIGTERM, then
 * SIGKILL after the grace period, then confirms with a zero-grace delete, as a kubelet does), and
 * serves the kubelet's log endpoint over HTTPS, so that {@code kubectl logs} and the operator's log
 * reads go through the API server.
 *
 * <p>The Coffer image ({@link ImageRuntime#REFERENCE}), when its archive is named and this machine
 * can run it (root): its containers run from the image's own file system, read-only where the
 * security context says, as the pod's uid and gid, with the pod's volumes mounted where the pod
 * says (owned by its fsGroup, as a kubelet does) and its memory limit as a cgroup limit (see {@link
 * ImageRuntime}); another image with {@code coffer} in its name is not present on the node
 * (ErrImageNeverPull). Without the archive (a developer's machine, not root), a container of an
 * image with {@code coffer} in its name runs {@code coffer} from the test's class path as this
 * user, with paths in args and env that point into a mount rewritten to where that mount lies here.
 *
 * <p>Simulated: the host's network (as hostNetwork), images are loaded, not pulled; any other image
 * runs an idle process. HTTP readiness probes run against 127.0.0.1 (a pod is Ready once its probe
 * answers); liveness probes do not. Secrets, ConfigMaps, the downward API, projected service
 * account tokens (from the TokenRequest API) and emptyDir volumes become files in the pod's folder;
 * a PersistentVolumeClaim is followed to its bound PersistentVolume, whose {@code hostPath} or
 * {@code local} path is the folder. KUBERNETES_SERVICE_HOST and _PORT name the API server itself
 * (no kube-proxy routes the service's ClusterIP here).
 */
public final class NodeAgent implements AutoCloseable {
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;
  private final KubernetesClient client;
  private final String name;
  private final Path work;
  private final HttpsServer logs;
  private final Map<String, String> extraEnv = new ConcurrentHashMap<>();
  private final Map<String, Running> pods = new ConcurrentHashMap<>();
  private final Set<String> killed = ConcurrentHashMap.newKeySet();
  private final ExecutorService runner =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "node-agent-pod");
            t.setDaemon(true);
            return t;
          });
  private final ScheduledExecutorService timer =
      Executors.newScheduledThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "node-agent-timer");
            t.setDaemon(true);
            return t;
          });
  private final Watch watch;
  private volatile CountDownLatch hold = new CountDownLatch(0);
  private volatile Random chaos;
  private volatile long chaosMaxMillis;
  private volatile boolean closed;

  /**
   * The Coffer image, when this machine can run it (see {@link ImageRuntime}); else class-path
   * processes.
   */
  private final ImageRuntime images = ImageRuntime.shared();

  /** A pod this node runs: its folder, log, process, and whether it has been told to stop. */
  private static final class Running {
    final String uid;
    final Path dir;
    final Path log;
    volatile Process process;
    volatile boolean stopping;
    volatile boolean done;

    Running(String uid, Path dir) {
      this.uid = uid;
      this.dir = dir;
      this.log = dir.resolve("log.txt");
    }
  }

  public NodeAgent(KubernetesClient client, String name, Path work) throws Exception {
    this.client = client;
    this.name = name;
    this.work = Files.createDirectories(work.resolve("node-" + name));
    this.logs = logServer(this.work);
    register();
    timer.scheduleWithFixedDelay(this::renewLease, 0, 10, TimeUnit.SECONDS);
    watch =
        client
            .pods()
            .inAnyNamespace()
            .withField("spec.nodeName", name)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    if (action != Action.ERROR) react(pod);
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    // a watch can miss events while it reconnects: a periodic look at this node's pods catches up
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            for (Pod p :
                client.pods().inAnyNamespace().withField("spec.nodeName", name).list().getItems())
              react(p);
          } catch (RuntimeException e) {
            // the next look tries again
          }
        },
        2,
        2,
        TimeUnit.SECONDS);
  }

  public String name() {
    return name;
  }

  /** Names of pods whose container was stopped because the pod was deleted while it ran. */
  public Set<String> killed() {
    return Set.copyOf(killed);
  }

  /** Environment every container gets in addition (e.g. an S3 endpoint on loopback). */
  public NodeAgent env(String key, String value) {
    extraEnv.put(key, value);
    return this;
  }

  /** Containers of new pods wait (the pod bound, not started) until {@link #release()}. */
  public void hold() {
    hold = new CountDownLatch(1);
  }

  public void release() {
    hold.countDown();
  }

  /**
   * Kills (SIGKILL) the container of every first attempt of a Coffer Job at a random moment within
   * {@code maxMillis} of its start, as an OOM kill or a node failure would; later attempts run in
   * peace. {@code null} turns it off.
   */
  public void killFirstAttempts(Random random, long maxMillis) {
    this.chaosMaxMillis = maxMillis;
    this.chaos = random;
  }

  private void register() {
    Map<String, Quantity> capacity =
        Map.of(
            "cpu",
            new Quantity("8"),
            "memory",
            new Quantity("32Gi"),
            "pods",
            new Quantity("110"),
            "ephemeral-storage",
            new Quantity("100Gi"));
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(
                Map.of(
                    "kubernetes.io/hostname",
                    name,
                    "kubernetes.io/os",
                    "linux",
                    "kubernetes.io/arch",
                    "amd64",
                    "coffer.io/node-agent",
                    "true"))
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    try {
      client.nodes().resource(node).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    String now = RFC3339.format(Instant.now());
    client
        .nodes()
        .withName(name)
        .editStatus(
            n -> {
              n.setStatus(
                  new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                      .withCapacity(capacity)
                      .withAllocatable(capacity)
                      .addNewAddress()
                      .withType("InternalIP")
                      .withAddress("127.0.0.1")
                      .endAddress()
                      .addNewAddress()
                      .withType("Hostname")
                      .withAddress(name)
                      .endAddress()
                      .addNewCondition()
                      .withType("Ready")
                      .withStatus("True")
                      .withReason("KubeletReady")
                      .withMessage("node agent is posting ready status")
                      .withLastHeartbeatTime(now)
                      .withLastTransitionTime(now)
                      .endCondition()
                      .addNewCondition()
                      .withType("MemoryPressure")
                      .withStatus("False")
                      .withReason("KubeletHasSufficientMemory")
                      .withLastHeartbeatTime(now)
                      .withLastTransitionTime(now)
                      .endCondition()
                      .addNewCondition()
                      .withType("DiskPressure")
                      .withStatus("False")
                      .withReason("KubeletHasNoDiskPressure")
                      .withLastHeartbeatTime(now)
                      .withLastTransitionTime(now)
                      .endCondition()
                      .addNewCondition()
                      .withType("PIDPressure")
                      .withStatus("False")
                      .withReason("KubeletHasSufficientPID")
                      .withLastHeartbeatTime(now)
                      .withLastTransitionTime(now)
                      .endCondition()
                      .withNewDaemonEndpoints()
                      .withNewKubeletEndpoint()
                      .withPort(logs.getAddress().getPort())
                      .endKubeletEndpoint()
                      .endDaemonEndpoints()
                      .withNewNodeInfo()
                      .withArchitecture("amd64")
                      .withOperatingSystem("linux")
                      .withOsImage("Coffer node agent (local processes)")
                      .withKubeletVersion("v" + ControlPlane.VERSION)
                      .withKubeProxyVersion("")
                      .withContainerRuntimeVersion("local-process://1")
                      .withKernelVersion(System.getProperty("os.version"))
                      .withMachineID(name)
                      .withSystemUUID(name)
                      .withBootID(name)
                      .endNodeInfo()
                      .build());
              return n;
            });
    // the TaintNodesByCondition admission plugin marks a new Node not-ready; the node lifecycle
    // controller (not run
    // here) lifts the taint once the node reports Ready, which it does from the start
    client
        .nodes()
        .withName(name)
        .edit(
            n -> {
              if (n.getSpec().getTaints() != null)
                n.getSpec().getTaints().removeIf(t -> t.getKey().startsWith("node.kubernetes.io/"));
              return n;
            });
  }

  private void renewLease() {
    try {
      String now =
          ZonedDateTime.now(ZoneOffset.UTC)
              .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"));
      Lease lease = client.leases().inNamespace("kube-node-lease").withName(name).get();
      if (lease == null) {
        client
            .leases()
            .inNamespace("kube-node-lease")
            .resource(
                new LeaseBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace("kube-node-lease")
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity(name)
                    .withLeaseDurationSeconds(40)
                    .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                    .endSpec()
                    .build())
            .create();
      } else {
        lease.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
        client.leases().inNamespace("kube-node-lease").resource(lease).update();
      }
    } catch (RuntimeException e) {
      // renewed at the next tick
    }
  }

  private void react(Pod pod) {
    if (closed) return;
    String uid = pod.getMetadata().getUid();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      Running r = pods.get(uid);
      if (r == null || r.done) {
        confirmDeletion(pod);
        return;
      }
      if (!r.stopping) {
        r.stopping = true;
        runner.submit(() -> stop(pod, r));
      }
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) return;
    if (pods.containsKey(uid)) return;
    try {
      Running r =
          new Running(
              uid,
              Files.createDirectories(
                  work.resolve(
                      pod.getMetadata().getNamespace()
                          + "_"
                          + pod.getMetadata().getName()
                          + "_"
                          + uid)));
      if (pods.putIfAbsent(uid, r) == null) runner.submit(() -> run(pod, r));
    } catch (IOException e) {
      System.err.println(
          "node agent "
              + name
              + ": cannot make a folder for pod "
              + pod.getMetadata().getName()
              + ": "
              + e);
    }
  }

  /**
   * SIGTERM, the grace period (at most 30 s here), SIGKILL; then the zero-grace delete that lets
   * the API server remove it.
   */
  private void stop(Pod pod, Running r) {
    Process p = r.process;
    if (p != null && p.isAlive()) {
      killed.add(pod.getMetadata().getName());
      p.destroy();
      long grace =
          pod.getSpec().getTerminationGracePeriodSeconds() == null
              ? 30
              : Math.min(30, pod.getSpec().getTerminationGracePeriodSeconds());
      try {
        if (!p.waitFor(grace, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    confirmDeletion(pod);
  }

  private void confirmDeletion(Pod pod) {
    try {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .withGracePeriod(0)
          .delete();
    } catch (KubernetesClientException e) {
      // gone already
    }
    Running r = pods.remove(pod.getMetadata().getUid());
    if (r != null) r.done = true;
  }

  private void run(Pod pod, Running r) {
    String ns = pod.getMetadata().getNamespace();
    try {
      Container c = pod.getSpec().getContainers().get(0);
      ImageRuntime image = images;
      boolean fromImage = image != null && image.reference().equals(c.getImage());
      boolean coffer =
          fromImage || (image == null && c.getImage() != null && c.getImage().contains("coffer"));
      if (image != null && !fromImage && c.getImage() != null && c.getImage().contains("coffer")) {
        waiting(
            pod,
            c,
            "ErrImageNeverPull",
            "image \""
                + c.getImage()
                + "\" is not present on node "
                + name
                + ": it has "
                + image.reference()
                + " (loaded from the image archive)");
        return;
      }
      var podSecurity = pod.getSpec().getSecurityContext();
      Long fsGroup = podSecurity == null ? null : podSecurity.getFsGroup();
      Map<String, Path> mounts = new LinkedHashMap<>();
      Map<String, ImageRuntime.Mount> imageMounts = new LinkedHashMap<>();
      for (VolumeMount m :
          c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
        Volume v =
            pod.getSpec().getVolumes().stream()
                .filter(x -> x.getName().equals(m.getName()))
                .findFirst()
                .orElseThrow();
        Path local;
        try {
          local = volume(pod, v, r.dir);
        } catch (WaitingException w) {
          waiting(pod, c, w.reason, w.getMessage());
          pods.remove(r.uid); // looked at again on the next sweep
          return;
        }
        if (fromImage && fsGroup != null)
          ownership(
              local,
              fsGroup,
              v.getSecret() != null
                  || v.getConfigMap() != null
                  || v.getProjected() != null
                  || v.getDownwardAPI() != null);
        if (m.getSubPath() != null && !m.getSubPath().isEmpty())
          local = Files.createDirectories(local.resolve(m.getSubPath()));
        mounts.put(m.getMountPath(), local);
        imageMounts.put(
            m.getMountPath(), new ImageRuntime.Mount(local, Boolean.TRUE.equals(m.getReadOnly())));
      }
      Path termination = r.dir.resolve("termination-log");
      String terminationPath =
          c.getTerminationMessagePath() == null
              ? "/dev/termination-log"
              : c.getTerminationMessagePath();
      Map<String, String> env = new HashMap<>(extraEnv);
      try {
        env.putAll(environment(pod, c));
      } catch (WaitingException w) {
        waiting(pod, c, w.reason, w.getMessage());
        pods.remove(r.uid);
        return;
      }
      List<String> args = new ArrayList<>();
      ImageRuntime.Container container = null;
      if (fromImage) {
        // what a kubelet adds to every pod; the service's ClusterIP is not routed here, so it names
        // the API server itself
        URI api = URI.create(client.getConfiguration().getMasterUrl());
        env.putIfAbsent("KUBERNETES_SERVICE_HOST", api.getHost());
        env.putIfAbsent("KUBERNETES_SERVICE_PORT", String.valueOf(api.getPort()));
        var sc = c.getSecurityContext();
        long[] imageUser = image.imageUser();
        Long uid =
            sc != null && sc.getRunAsUser() != null
                ? sc.getRunAsUser()
                : podSecurity != null && podSecurity.getRunAsUser() != null
                    ? podSecurity.getRunAsUser()
                    : null;
        Long gid =
            sc != null && sc.getRunAsGroup() != null
                ? sc.getRunAsGroup()
                : podSecurity != null && podSecurity.getRunAsGroup() != null
                    ? podSecurity.getRunAsGroup()
                    : null;
        boolean nonRoot =
            sc != null && sc.getRunAsNonRoot() != null
                ? sc.getRunAsNonRoot()
                : podSecurity != null && Boolean.TRUE.equals(podSecurity.getRunAsNonRoot());
        long runUid = uid != null ? uid : imageUser[0];
        long runGid = gid != null ? gid : imageUser[1];
        if (nonRoot && runUid == 0) {
          waiting(
              pod,
              c,
              "CreateContainerConfigError",
              "container has runAsNonRoot and image will run as root");
          return;
        }
        List<Long> groups = new ArrayList<>();
        if (fsGroup != null) groups.add(fsGroup);
        if (podSecurity != null && podSecurity.getSupplementalGroups() != null)
          groups.addAll(podSecurity.getSupplementalGroups());
        boolean readOnlyRoot = sc != null && Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem());
        Quantity memory =
            c.getResources() == null || c.getResources().getLimits() == null
                ? null
                : c.getResources().getLimits().get("memory");
        Long limit = memory == null ? null : Quantity.getAmountInBytes(memory).longValue();
        container =
            new ImageRuntime.Container(
                pod.getMetadata().getName(),
                r.dir,
                imageMounts,
                termination,
                terminationPath,
                c.getCommand(),
                c.getArgs(),
                env,
                runUid,
                runGid,
                groups,
                readOnlyRoot,
                limit,
                r.log);
      } else {
        env.replaceAll((k, v) -> PodFiles.rewrite(v, mounts, terminationPath, termination));
        for (VolumeMount m :
            c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
          Volume v =
              pod.getSpec().getVolumes().stream()
                  .filter(x -> x.getName().equals(m.getName()))
                  .findFirst()
                  .orElseThrow();
          if (v.getDownwardAPI() == null) continue;
          for (var item : v.getDownwardAPI().getItems()) {
            PodFiles.rewriteDocument(
                mounts.get(m.getMountPath()).resolve(item.getPath()),
                mounts,
                terminationPath,
                termination);
          }
        }
        for (String a : c.getArgs() == null ? List.<String>of() : c.getArgs())
          args.add(PodFiles.rewrite(a, mounts, terminationPath, termination));
      }
      hold.await();
      if (r.stopping || closed) return;
      Instant started = Instant.now();
      ImageRuntime.Started inImage = fromImage ? image.start(container) : null;
      Process process =
          inImage != null
              ? inImage.process
              : coffer
                  ? Cli.startLogged(r.dir, env, r.log, args.toArray(String[]::new))
                  : new ProcessBuilder("sleep", "86400")
                      .directory(r.dir.toFile())
                      .redirectErrorStream(true)
                      .redirectOutput(r.log.toFile())
                      .start();
      r.process = process;
      if (r.stopping) process.destroy();
      running(pod, c, started, process, !probed(c));
      if (probed(c)) readiness(pod, c, started, process);
      Random rnd = chaos;
      Map<String, String> labels =
          pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
      if (rnd != null && coffer && "1".equals(labels.get("coffer.io/attempt"))) {
        long delay;
        synchronized (rnd) {
          delay = rnd.nextLong(chaosMaxMillis);
        }
        timer.schedule(
            () -> {
              process.destroyForcibly();
            },
            delay,
            TimeUnit.MILLISECONDS);
      }
      Long deadline = pod.getSpec().getActiveDeadlineSeconds();
      boolean deadlineExceeded = false;
      if (deadline != null) {
        if (!process.waitFor(deadline, TimeUnit.SECONDS)) {
          deadlineExceeded = true;
          process.destroyForcibly();
        }
      }
      int exit = process.waitFor();
      boolean oomKilled = inImage != null && inImage.oomKilled();
      if (inImage != null) inImage.cleanUp();
      r.done = true;
      if (r.stopping || closed) return; // deleted while it ran: stop() confirms the deletion
      String message = Files.exists(termination) ? tail(termination, 4096) : "";
      if (message.isEmpty()
          && exit != 0
          && "FallbackToLogsOnError".equals(c.getTerminationMessagePolicy()))
        message = tail(r.log, 2048);
      String reason =
          exit == 0
              ? "Completed"
              : oomKilled || (inImage == null && (exit == 137 || exit == -1))
                  ? "OOMKilled"
                  : "Error";
      if (deadlineExceeded) reason = "DeadlineExceeded";
      ContainerState end =
          new ContainerStateBuilder()
              .withNewTerminated()
              .withExitCode(exit)
              .withMessage(message)
              .withReason(reason)
              .withStartedAt(RFC3339.format(started))
              .withFinishedAt(RFC3339.format(Instant.now()))
              .withContainerID("local://" + process.pid())
              .endTerminated()
              .build();
      synchronized (process) {
        status(pod, c, end, exit == 0 ? "Succeeded" : "Failed", started, process.pid(), false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (closed) return;
      System.err.println(
          "node agent "
              + name
              + ": running pod "
              + ns
              + "/"
              + pod.getMetadata().getName()
              + " failed: "
              + e);
      e.printStackTrace();
    }
  }

  /**
   * What a kubelet does to a volume for the pod's {@code fsGroup}: the group owns every file, which
   * the group may read (and write, unless the volume is a Secret, ConfigMap or projection), and new
   * files inherit the group (set-gid folders). Simulated: applied to the PersistentVolumes too, as
   * a CSI driver with fsGroupPolicy File would.
   */
  public static void ownership(Path volume, long fsGroup, boolean readOnly)
      throws IOException, InterruptedException {
    ImageRuntime.run(List.of("chgrp", "-R", String.valueOf(fsGroup), volume.toString()));
    ImageRuntime.run(List.of("chmod", "-R", readOnly ? "g+rX" : "g+rwX", volume.toString()));
    ImageRuntime.run(
        List.of("find", volume.toString(), "-type", "d", "-exec", "chmod", "g+s", "{}", "+"));
  }

  /**
   * A volume that cannot be set up yet (a missing Secret, an unbound claim): the container waits,
   * as on a kubelet.
   */
  private static final class WaitingException extends Exception {
    final String reason;

    WaitingException(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  private Path volume(Pod pod, Volume v, Path podDir) throws IOException, WaitingException {
    String ns = pod.getMetadata().getNamespace();
    Path local = podDir.resolve("volumes").resolve(v.getName());
    if (v.getPersistentVolumeClaim() != null) {
      String claim = v.getPersistentVolumeClaim().getClaimName();
      PersistentVolumeClaim pvc =
          client.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
      if (pvc == null)
        throw new WaitingException(
            "ContainerCreating", "persistentvolumeclaim \"" + claim + "\" not found");
      String pvName = pvc.getSpec().getVolumeName();
      PersistentVolume pv =
          pvName == null || pvName.isEmpty()
              ? null
              : client.persistentVolumes().withName(pvName).get();
      if (pv == null)
        throw new WaitingException(
            "ContainerCreating", "persistentvolumeclaim \"" + claim + "\" is not bound");
      String path =
          pv.getSpec().getHostPath() != null
              ? pv.getSpec().getHostPath().getPath()
              : pv.getSpec().getLocal() != null ? pv.getSpec().getLocal().getPath() : null;
      if (path == null)
        throw new WaitingException(
            "ContainerCreating",
            "volume " + pvName + " is neither hostPath nor local: this node cannot mount it");
      // what the attach/detach controller enforces on a real cluster: a ReadWriteOnce volume is on
      // one node at a time
      List<String> modes =
          pvc.getSpec().getAccessModes() == null ? List.of() : pvc.getSpec().getAccessModes();
      if (modes.contains("ReadWriteOnce") && !modes.contains("ReadWriteMany")) {
        for (Pod other : client.pods().inNamespace(ns).list().getItems()) {
          if (other.getSpec().getNodeName() == null
              || other.getSpec().getNodeName().equals(name)
              || other.getStatus() == null
              || !"Running".equals(other.getStatus().getPhase())
              || other.getMetadata().getDeletionTimestamp() != null) continue;
          boolean mounts =
              other.getSpec().getVolumes() != null
                  && other.getSpec().getVolumes().stream()
                      .anyMatch(
                          x ->
                              x.getPersistentVolumeClaim() != null
                                  && claim.equals(x.getPersistentVolumeClaim().getClaimName()));
          if (mounts) {
            throw new WaitingException(
                "ContainerCreating",
                "Multi-Attach error for volume \""
                    + pvName
                    + "\": Volume is already used by pod(s) "
                    + other.getMetadata().getName()
                    + " on node "
                    + other.getSpec().getNodeName());
          }
        }
      }
      return Files.createDirectories(Path.of(path));
    }
    Files.createDirectories(local);
    if (v.getSecret() != null) {
      var secret = v.getSecret();
      boolean optional = Boolean.TRUE.equals(secret.getOptional());
      // an optional volume whose Secret is missing is an empty folder; a required one waits
      Map<String, String> data =
          optional
              ? PodFiles.secret(client, ns, secret.getSecretName())
              : secretOrWait(ns, secret.getSecretName());
      if (data != null) {
        write(
            local,
            data,
            secret.getItems(),
            "secret " + secret.getSecretName(),
            secret.getDefaultMode(),
            optional);
      }
    } else if (v.getConfigMap() != null) {
      var map = v.getConfigMap();
      boolean optional = Boolean.TRUE.equals(map.getOptional());
      Map<String, String> data =
          optional
              ? PodFiles.configMap(client, ns, map.getName())
              : configMapOrWait(ns, map.getName());
      if (data != null) {
        write(
            local,
            data,
            map.getItems(),
            "configmap " + map.getName(),
            map.getDefaultMode(),
            optional);
      }
    } else if (v.getProjected() != null) {
      for (VolumeProjection p : v.getProjected().getSources()) {
        if (p.getServiceAccountToken() != null) {
          var t = p.getServiceAccountToken();
          var req =
              new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
                  .withNewSpec()
                  .withAudiences(t.getAudience() == null ? List.of() : List.of(t.getAudience()))
                  .withExpirationSeconds(
                      t.getExpirationSeconds() == null ? 3600L : t.getExpirationSeconds())
                  .withNewBoundObjectRef()
                  .withKind("Pod")
                  .withApiVersion("v1")
                  .withName(pod.getMetadata().getName())
                  .withUid(pod.getMetadata().getUid())
                  .endBoundObjectRef()
                  .endSpec()
                  .build();
          String sa =
              pod.getSpec().getServiceAccountName() == null
                  ? "default"
                  : pod.getSpec().getServiceAccountName();
          String token =
              client
                  .serviceAccounts()
                  .inNamespace(ns)
                  .withName(sa)
                  .tokenRequest(req)
                  .getStatus()
                  .getToken();
          mode(
              Files.writeString(local.resolve(t.getPath()), token),
              v.getProjected().getDefaultMode());
        } else if (p.getConfigMap() != null) {
          var map = p.getConfigMap();
          write(
              local,
              configMapOrWait(ns, map.getName()),
              map.getItems(),
              "configmap " + map.getName(),
              v.getProjected().getDefaultMode());
        } else if (p.getSecret() != null) {
          var secret = p.getSecret();
          write(
              local,
              secretOrWait(ns, secret.getName()),
              secret.getItems(),
              "secret " + secret.getName(),
              v.getProjected().getDefaultMode());
        } else if (p.getDownwardAPI() != null) {
          for (var item : p.getDownwardAPI().getItems())
            Files.writeString(
                local.resolve(item.getPath()), field(pod, item.getFieldRef().getFieldPath()));
        }
      }
    } else if (v.getDownwardAPI() != null) {
      for (var item : v.getDownwardAPI().getItems())
        Files.writeString(
            local.resolve(item.getPath()), field(pod, item.getFieldRef().getFieldPath()));
    }
    return local; // emptyDir and the rest: a folder of the pod's own
  }

  /**
   * A volume's Secret; while it does not exist, the container waits (CreateContainerConfigError),
   * as on a kubelet.
   */
  private Map<String, String> secretOrWait(String ns, String name) throws WaitingException {
    Map<String, String> data = PodFiles.secret(client, ns, name);
    if (data == null)
      throw new WaitingException("CreateContainerConfigError", "secret \"" + name + "\" not found");
    return data;
  }

  private Map<String, String> configMapOrWait(String ns, String name) throws WaitingException {
    Map<String, String> data = PodFiles.configMap(client, ns, name);
    if (data == null)
      throw new WaitingException(
          "CreateContainerConfigError", "configmap \"" + name + "\" not found");
    return data;
  }

  /**
   * A Secret's or ConfigMap's keys as files, with the modes the volume gives them (default 0644, as
   * a kubelet).
   */
  private static void write(
      Path dir, Map<String, String> data, List<KeyToPath> items, String what, Integer defaultMode)
      throws IOException, WaitingException {
    write(dir, data, items, what, defaultMode, false);
  }

  /**
   * {@code optional}: a missing key leaves its file out, as a kubelet does for an optional volume.
   */
  private static void write(
      Path dir,
      Map<String, String> data,
      List<KeyToPath> items,
      String what,
      Integer defaultMode,
      boolean optional)
      throws IOException, WaitingException {
    if (items == null || items.isEmpty()) {
      for (var e : data.entrySet())
        mode(Files.writeString(dir.resolve(e.getKey()), e.getValue()), defaultMode);
      return;
    }
    for (KeyToPath item : items) {
      if (data.get(item.getKey()) == null && optional) continue;
      if (data.get(item.getKey()) == null)
        throw new WaitingException(
            "CreateContainerConfigError", "couldn't find key " + item.getKey() + " in " + what);
      Path f = dir.resolve(item.getPath());
      Files.createDirectories(f.getParent());
      mode(
          Files.writeString(f, data.get(item.getKey())),
          item.getMode() != null ? item.getMode() : defaultMode);
    }
  }

  private static Path mode(Path file, Integer mode) throws IOException {
    int m = mode == null ? 0644 : mode;
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) if ((m & (0400 >> i)) != 0) perms.add(bits[i]);
    Files.setPosixFilePermissions(file, perms);
    return file;
  }

  private Map<String, String> environment(Pod pod, Container c) throws WaitingException {
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> env = new HashMap<>();
    for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
      Map<String, String> data =
          from.getSecretRef() != null
              ? PodFiles.secret(client, ns, from.getSecretRef().getName())
              : PodFiles.configMap(client, ns, from.getConfigMapRef().getName());
      if (data == null)
        throw new WaitingException("CreateContainerConfigError", "envFrom source not found");
      data.forEach((k, v) -> env.put((from.getPrefix() == null ? "" : from.getPrefix()) + k, v));
    }
    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
      if (e.getValueFrom() == null) {
        env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
        continue;
      }
      var from = e.getValueFrom();
      String value;
      if (from.getSecretKeyRef() != null) {
        Map<String, String> data = PodFiles.secret(client, ns, from.getSecretKeyRef().getName());
        value = data == null ? null : data.get(from.getSecretKeyRef().getKey());
        if (value == null && !Boolean.TRUE.equals(from.getSecretKeyRef().getOptional())) {
          throw new WaitingException(
              "CreateContainerConfigError",
              data == null
                  ? "secret \"" + from.getSecretKeyRef().getName() + "\" not found"
                  : "couldn't find key "
                      + from.getSecretKeyRef().getKey()
                      + " in Secret "
                      + ns
                      + "/"
                      + from.getSecretKeyRef().getName());
        }
      } else if (from.getConfigMapKeyRef() != null) {
        Map<String, String> data =
            PodFiles.configMap(client, ns, from.getConfigMapKeyRef().getName());
        value = data == null ? null : data.get(from.getConfigMapKeyRef().getKey());
        if (value == null && !Boolean.TRUE.equals(from.getConfigMapKeyRef().getOptional())) {
          throw new WaitingException(
              "CreateContainerConfigError",
              "configmap \""
                  + from.getConfigMapKeyRef().getName()
                  + "\" not found or lacks its key");
        }
      } else if (from.getFieldRef() != null) {
        value = field(pod, from.getFieldRef().getFieldPath());
      } else if (from.getResourceFieldRef() != null) {
        value = resource(c, from.getResourceFieldRef().getResource());
      } else {
        value = "";
      }
      if (value != null) env.put(e.getName(), value);
    }
    return env;
  }

  /** The downward API's fields. */
  private String field(Pod pod, String path) {
    return switch (path) {
      case "metadata.name" -> pod.getMetadata().getName();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.uid" -> pod.getMetadata().getUid();
      case "spec.nodeName" -> name;
      case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
      case "status.podIP", "status.hostIP" -> "127.0.0.1";
      default -> {
        Matcher m = Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]").matcher(path);
        if (!m.matches()) yield "";
        Map<String, String> map =
            m.group(1).equals("labels")
                ? pod.getMetadata().getLabels()
                : pod.getMetadata().getAnnotations();
        yield map == null ? "" : map.getOrDefault(m.group(2), "");
      }
    };
  }

  private static String resource(Container c, String resource) {
    var r = c.getResources();
    Map<String, Quantity> map =
        resource.startsWith("limits.")
            ? (r == null ? null : r.getLimits())
            : (r == null ? null : r.getRequests());
    Quantity q = map == null ? null : map.get(resource.substring(resource.indexOf('.') + 1));
    if (q == null) return resource.endsWith("cpu") ? "8" : String.valueOf(32L << 30);
    return resource.endsWith("cpu")
        ? String.valueOf((long) Math.ceil(Quantity.getAmountInBytes(q).doubleValue()))
        : Quantity.getAmountInBytes(q).toBigInteger().toString();
  }

  private void waiting(Pod pod, Container c, String reason, String message) {
    status(
        pod,
        c,
        new ContainerStateBuilder()
            .withNewWaiting()
            .withReason(reason)
            .withMessage(message)
            .endWaiting()
            .build(),
        "Pending",
        Instant.now(),
        -1,
        false);
  }

  /** Reports the container running (Ready as {@code ready} says). */
  private void running(Pod pod, Container c, Instant started, Process process, boolean ready) {
    status(
        pod,
        c,
        new ContainerStateBuilder()
            .withNewRunning()
            .withStartedAt(RFC3339.format(started))
            .endRunning()
            .build(),
        "Running",
        started,
        process.pid(),
        ready);
  }

  /**
   * A container with an HTTP readiness probe: Ready only once the probe answers, as a kubelet does.
   */
  private static boolean probed(Container c) {
    return c.getReadinessProbe() != null && c.getReadinessProbe().getHttpGet() != null;
  }

  /**
   * Probes the container's HTTP readiness probe on this host (the pod's IP) every period until it
   * answers 2xx, then marks the pod Ready; stops when the process ends.
   */
  private void readiness(Pod pod, Container c, Instant started, Process process) {
    var get = c.getReadinessProbe().getHttpGet();
    int period =
        c.getReadinessProbe().getPeriodSeconds() == null
            ? 10
            : Math.max(1, c.getReadinessProbe().getPeriodSeconds());
    // a port by number, or by the name of one of the container's ports
    Integer port = get.getPort().getIntVal();
    if (port == null && c.getPorts() != null)
      port =
          c.getPorts().stream()
              .filter(p -> get.getPort().getStrVal().equals(p.getName()))
              .map(io.fabric8.kubernetes.api.model.ContainerPort::getContainerPort)
              .findFirst()
              .orElse(null);
    if (port == null) {
      running(pod, c, started, process, true); // a probe no kubelet could run: as if none
      return;
    }
    java.net.URI uri =
        java.net.URI.create(
            "http://127.0.0.1:" + port + (get.getPath() == null ? "/" : get.getPath()));
    java.net.http.HttpClient http =
        java.net.http.HttpClient.newBuilder()
            .connectTimeout(java.time.Duration.ofSeconds(1))
            .build();
    Runnable probe =
        new Runnable() {
          @Override
          public void run() {
            if (!process.isAlive() || closed) return;
            try {
              int code =
                  http.send(
                          java.net.http.HttpRequest.newBuilder(uri)
                              .timeout(java.time.Duration.ofSeconds(1))
                              .build(),
                          java.net.http.HttpResponse.BodyHandlers.discarding())
                      .statusCode();
              if (code >= 200 && code < 400) {
                // under the process's lock: the end's status, written under it too, comes last
                synchronized (process) {
                  if (!process.isAlive()) return;
                  running(pod, c, started, process, true);
                }
                return;
              }
            } catch (java.io.IOException | RuntimeException e) {
              // not listening yet
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            timer.schedule(this, period, TimeUnit.SECONDS);
          }
        };
    timer.schedule(probe, 200, TimeUnit.MILLISECONDS);
  }

  private void status(
      Pod pod,
      Container c,
      ContainerState state,
      String phase,
      Instant started,
      long pid,
      boolean ready) {
    String now = RFC3339.format(Instant.now());
    List<PodCondition> conditions =
        List.of(
            new PodConditionBuilder()
                .withType("PodScheduled")
                .withStatus("True")
                .withLastTransitionTime(now)
                .build(),
            new PodConditionBuilder()
                .withType("Initialized")
                .withStatus("True")
                .withLastTransitionTime(now)
                .build(),
            new PodConditionBuilder()
                .withType("ContainersReady")
                .withStatus(ready ? "True" : "False")
                .withLastTransitionTime(now)
                .build(),
            new PodConditionBuilder()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .withLastTransitionTime(now)
                .build());
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        client
            .pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .editStatus(
                p -> {
                  p.setStatus(
                      new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                          .withPhase(phase)
                          .withHostIP("127.0.0.1")
                          .withPodIP("127.0.0.1")
                          .withStartTime(RFC3339.format(started))
                          .withConditions(conditions)
                          .withQosClass(p.getStatus() == null ? null : p.getStatus().getQosClass())
                          .withContainerStatuses(
                              new ContainerStatusBuilder()
                                  .withName(c.getName())
                                  .withImage(c.getImage())
                                  .withImageID(c.getImage())
                                  .withContainerID(pid < 0 ? null : "local://" + pid)
                                  .withReady(ready)
                                  .withStarted(state.getRunning() != null)
                                  .withRestartCount(0)
                                  .withState(state)
                                  .build())
                          .build());
                  return p;
                });
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) return; // deleted meanwhile
        if (e.getCode() != 409) throw e;
      }
    }
  }

  private static String tail(Path file, int max) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long len = f.length();
      long from = Math.max(0, len - max);
      byte[] b = new byte[(int) (len - from)];
      f.seek(from);
      f.readFully(b);
      return new String(b, StandardCharsets.UTF_8);
    }
  }

  // ------------------------------------------------------------------ the kubelet's log endpoint

  private HttpsServer logServer(Path dir) throws Exception {
    Path ks = dir.resolve("kubelet.p12");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-keystore",
                ks.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "node-agent",
                "-keypass",
                "node-agent",
                "-alias",
                "kubelet",
                "-keyalg",
                "EC",
                "-dname",
                "CN=" + name,
                "-validity",
                "30",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    if (p.waitFor() != 0)
      throw new IOException("keytool could not make the node agent's serving certificate");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "node-agent".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "node-agent".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    server.setExecutor(
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "node-agent-logs");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/containerLogs/", this::serveLog);
    server.createContext(
        "/healthz",
        x -> {
          x.sendResponseHeaders(200, 2);
          x.getResponseBody().write("ok".getBytes(StandardCharsets.US_ASCII));
          x.close();
        });
    server.start();
    return server;
  }

  /**
   * {@code GET /containerLogs/NAMESPACE/POD/CONTAINER?follow=&tailLines=&limitBytes=}: what the
   * container printed.
   */
  private void serveLog(HttpExchange x) throws IOException {
    try (x) {
      String[] parts = x.getRequestURI().getPath().split("/");
      if (parts.length < 5) {
        x.sendResponseHeaders(400, -1);
        return;
      }
      String ns = parts[2];
      String pod = parts[3];
      Running r = null;
      Path log = null;
      for (var e : pods.values()) {
        if (e.dir.getFileName().toString().startsWith(ns + "_" + pod + "_")) {
          r = e;
          log = e.log;
        }
      }
      if (log == null) {
        try (var s = Files.list(work)) {
          log =
              s.filter(d -> d.getFileName().toString().startsWith(ns + "_" + pod + "_"))
                  .map(d -> d.resolve("log.txt"))
                  .filter(Files::exists)
                  .findFirst()
                  .orElse(null);
        }
      }
      if (log == null || !Files.exists(log)) {
        byte[] msg =
            ("container log of " + ns + "/" + pod + " not found").getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(404, msg.length);
        x.getResponseBody().write(msg);
        return;
      }
      Map<String, String> q = query(x.getRequestURI());
      x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      x.sendResponseHeaders(200, 0);
      OutputStream out = x.getResponseBody();
      byte[] all = Files.readAllBytes(log);
      int from = 0;
      if (q.containsKey("tailLines")) {
        int lines = Integer.parseInt(q.get("tailLines"));
        int at = all.length;
        if (at > 0 && all[at - 1] == '\n') at--;
        while (lines > 0 && at > 0) {
          at--;
          if (all[at] == '\n') lines--;
        }
        from = lines == 0 ? at + 1 : 0;
      }
      long limit =
          q.containsKey("limitBytes") ? Long.parseLong(q.get("limitBytes")) : Long.MAX_VALUE;
      int n = (int) Math.min(all.length - from, limit);
      out.write(all, from, n);
      out.flush();
      if ("true".equals(q.get("follow")) && r != null && n == all.length - from) {
        long pos = all.length;
        while (!r.done && !closed) {
          long len = Files.size(log);
          if (len > pos) {
            try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
              byte[] b = new byte[(int) (len - pos)];
              f.seek(pos);
              f.readFully(b);
              out.write(b);
              out.flush();
            }
            pos = len;
          }
          Thread.sleep(200);
        }
        long len = Files.size(log);
        if (len > pos) {
          try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            byte[] b = new byte[(int) (len - pos)];
            f.seek(pos);
            f.readFully(b);
            out.write(b);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the reader went away
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> q = new HashMap<>();
    if (uri.getRawQuery() == null) return q;
    for (String kv : uri.getRawQuery().split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0)
        q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return q;
  }

  /**
   * As when a node goes away: no container outlives its agent; the Node object stays (the tests'
   * cluster goes with it).
   */
  @Override
  public void close() {
    closed = true;
    watch.close();
    timer.shutdownNow();
    for (Running r : pods.values()) {
      Process p = r.process;
      if (p != null) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    runner.shutdownNow();
    logs.stop(0);
  }
}
