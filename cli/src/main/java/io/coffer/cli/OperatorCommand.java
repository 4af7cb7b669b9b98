package io.coffer.cli;

import io.coffer.controller.Caches;
import io.coffer.controller.CofferOperator;
import io.coffer.controller.Notifier;
import io.coffer.controller.OperatorHttp;
import io.coffer.controller.WebhookNotifier;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Version;
import io.coffer.job.JobFactory;
import io.coffer.protocol.ExitCode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the controllers: Backups, BackupSchedules and Restores (group coffer.io) become Jobs that run this image's engine.",
      "Uses the in-cluster service account, or KUBECONFIG outside a cluster."
    })
final class OperatorCommand implements Callable<Integer> {
  @Option(
      names = "--namespace",
      paramLabel = "NS",
      description = "Watch only this namespace (repeatable; default: all).")
  List<String> namespaces = List.of();

  @Option(
      names = "--image",
      paramLabel = "IMAGE",
      defaultValue = "${env:COFFER_IMAGE}",
      description =
          "Image of the Job pods (default: env COFFER_IMAGE, set by the chart to the operator's own image; else this"
              + " version's ghcr.io/coffer-io/coffer image).")
  String image;

  /** The image this jar is released in: a Job never runs another version's engine by default. */
  static String defaultImage() {
    return "ghcr.io/coffer-io/coffer:" + Version.get().replaceAll("-(SNAPSHOT|dev)$", "");
  }

  @Option(
      names = "--image-pull-policy",
      paramLabel = "POLICY",
      defaultValue = "IfNotPresent",
      description = "Pull policy of the Job pods.")
  String pullPolicy;

  @Option(
      names = "--retry-base-seconds",
      paramLabel = "S",
      defaultValue = "10",
      description =
          "First back-off before retrying a failed attempt; doubles per attempt (default 10).")
  long retryBase;

  @Option(
      names = "--progress-seconds",
      paramLabel = "S",
      defaultValue = "5",
      description = "How often running Jobs' logs are read for progress (default 5).")
  long progressEvery;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port of /healthz, /readyz and /metrics (default 8080).")
  int httpPort;

  @Option(
      names = "--download-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description =
          "The port a Job pod serves a volume's backup on for a Download (default 8080); the console reaches"
              + " it inside the cluster.")
  int downloadPort;

  @Option(
      names = "--leader-election-namespace",
      paramLabel = "NS",
      defaultValue = "${env:POD_NAMESPACE}",
      description =
          "Elect a leader through a Lease in this namespace, so several replicas are safe (default: env POD_NAMESPACE; none: a single replica).")
  String leaseNamespace;

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      defaultValue = "${env:COFFER_LOG_FORMAT:-text}",
      description =
          "text (default) or json: one JSON object per line (ts, level, logger, msg), for log collectors (env COFFER_LOG_FORMAT).")
  String logFormat;

  @Option(
      names = "--notify-url-file",
      paramLabel = "FILE",
      defaultValue = "${env:COFFER_NOTIFY_URL_FILE}",
      description =
          "A file holding the webhook URL failure notifications are POSTed to (CloudEvents 1.0 JSON with a Slack-compatible "
              + "text field; the chart mounts it from a Secret). Default: none (env COFFER_NOTIFY_URL_FILE).")
  Path notifyUrlFile;

  @Option(
      names = "--notify-success",
      description =
          "Also notify successes (a Backup or Restore succeeded, a copy made, a verification passed).")
  boolean notifySuccess;

  /** The webhook of {@code --notify-url-file}, or none; a bad file is refused at start. */
  private Notifier notifier() {
    if (notifyUrlFile == null) return Notifier.NONE;
    URI url;
    try {
      url = WebhookNotifier.readUrl(notifyUrlFile);
    } catch (IOException e) {
      throw CofferException.usage(
          "--notify-url-file "
              + notifyUrlFile
              + " cannot be read ("
              + e.getClass().getSimpleName()
              + ")");
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(e.getMessage());
    }
    System.err.println(
        "coffer operator: failure notifications"
            + (notifySuccess ? " and successes" : "")
            + " go to the webhook in "
            + notifyUrlFile);
    return new WebhookNotifier(url, notifySuccess, Clock.systemUTC(), System.err::println);
  }

  @Override
  public Integer call() throws Exception {
    switch (logFormat.toLowerCase(Locale.ROOT)) {
      case "json" -> JsonLogLines.install();
      case "text" -> {}
      default -> throw CofferException.usage("--log-format must be text or json, not " + logFormat);
    }
    // before any logger exists: the operator's own log at info, libraries at warn
    // (simplelogger.properties)
    System.setProperty("org.slf4j.simpleLogger.log.io.coffer", "info");
    System.setProperty("org.slf4j.simpleLogger.log.io.javaoperatorsdk", "info");
    // a controller thread out of memory leaves an operator that looks alive and does nothing: end
    // it, the kubelet restarts it
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          if (e instanceof OutOfMemoryError) {
            System.err.println(
                "coffer operator: out of memory in thread "
                    + thread.getName()
                    + ": exiting (raise the chart's resources.limits.memory)");
            Runtime.getRuntime().halt(ExitCode.INTERNAL.code());
          }
          System.err.print(
              "Exception in thread \""
                  + thread.getName()
                  + "\" "); // what the JVM's own handler prints
          e.printStackTrace();
        });
    KubernetesClient client = new KubernetesClientBuilder().build();
    Caches caches = new Caches();
    Operator op =
        CofferOperator.create(
            client,
            new CofferOperator.Config(
                    new JobFactory.Settings(
                        image == null || image.isBlank() ? defaultImage() : image,
                        pullPolicy,
                        downloadPort),
                    new HashSet<>(namespaces),
                    Duration.ofSeconds(retryBase),
                    Duration.ofSeconds(progressEvery),
                    Duration.ofMinutes(1),
                    Clock.systemUTC(),
                    leaseNamespace == null || leaseNamespace.isBlank()
                        ? null
                        : CofferOperator.LeaderElection.defaults(
                            leaseNamespace,
                            System.getenv().getOrDefault("HOSTNAME", UUID.randomUUID().toString())))
                .withNotifier(notifier()),
            caches);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  op.stop();
                  stop.countDown();
                }));
    op.start();
    OperatorHttp http = new OperatorHttp(httpPort, op, caches);
    Runtime.getRuntime().addShutdownHook(new Thread(http::close));
    System.err.println(
        "coffer operator started"
            + (namespaces.isEmpty() ? " (all namespaces)" : " (namespaces " + namespaces + ")"));
    stop.await();
    return 0;
  }
}
