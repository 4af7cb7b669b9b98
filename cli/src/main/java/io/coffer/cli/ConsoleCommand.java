package io.coffer.cli;

import io.coffer.console.ConsoleServer;
import io.coffer.console.Users;
import io.coffer.engine.base.CofferException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "The web console: backups, schedules, logs and restores in a browser, with your own Kubernetes rights.",
      "On your machine it uses your kubeconfig and listens on 127.0.0.1 (open the address it prints). In the cluster",
      "(the chart's console.enabled) it runs with --auth token behind an authenticating proxy and acts as each user,",
      "with the bearer token the proxy forwards. It never holds storage credentials and never reads a Secret."
    })
final class ConsoleCommand implements Callable<Integer> {
  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "A namespace to show (repeatable; default: the kubeconfig context's).")
  List<String> namespaces = List.of();

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8484",
      description = "Port to listen on (default 8484; 0: any free port).")
  int port;

  @Option(
      names = "--address",
      paramLabel = "ADDR",
      defaultValue = "127.0.0.1",
      description =
          "Address to listen on (default 127.0.0.1). Another one needs --auth token: with your kubeconfig, anyone who "
              + "reaches the port would act with your rights.")
  String address;

  @Option(
      names = "--upload-max-mib",
      paramLabel = "MIB",
      defaultValue = "5120",
      description =
          "The largest file the Restore screen accepts for upload, in MiB (default 5120, S3's limit for one PUT;"
              + " 1 to 5120). The file is streamed to the storage, never held.")
  long uploadMaxMib;

  @Option(
      names = "--auth",
      paramLabel = "MODE",
      defaultValue = "kubeconfig",
      description =
          "kubeconfig (default: every request is yours, from KUBECONFIG or ~/.kube/config) or token (each request carries "
              + "its user's bearer token, from an authenticating proxy; in a pod the API server's address and CA come from its "
              + "service account, whose own token is never used).")
  String auth;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "The kubeconfig context to use (default: the current one).")
  String context;

  @Override
  public Integer call() throws Exception {
    InetAddress bind;
    try {
      bind = InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw CofferException.usage("--address " + address + " is not an address of this machine");
    }
    if (uploadMaxMib < 1 || uploadMaxMib > ConsoleServer.UPLOAD_MAX_MIB)
      throw CofferException.usage(
          "--upload-max-mib must be 1 to "
              + ConsoleServer.UPLOAD_MAX_MIB
              + " (S3 takes at most 5 GiB in one PUT), not "
              + uploadMaxMib);
    Users users;
    List<String> shown = namespaces;
    switch (auth.toLowerCase(Locale.ROOT)) {
      case "kubeconfig" -> {
        if (!bind.isLoopbackAddress()) {
          throw CofferException.usage(
              "--address "
                  + address
                  + " would let anyone who reaches it act with your kubeconfig's rights: keep 127.0.0.1, "
                  + "or run with --auth token behind an authenticating proxy");
        }
        Config config =
            context == null ? Config.autoConfigure(null) : Config.autoConfigure(context);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        if (shown.isEmpty())
          shown = List.of(client.getNamespace() == null ? "default" : client.getNamespace());
        try {
          client.getKubernetesVersion();
        } catch (KubernetesClientException e) {
          client.close();
          throw CofferException.usage(
              "cannot reach the Kubernetes API at "
                  + config.getMasterUrl()
                  + " with your kubeconfig: "
                  + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        users = Users.kubeconfig(client);
      }
      case "token" -> {
        if (shown.isEmpty())
          throw CofferException.usage(
              "--auth token needs --namespace (one per namespace to show): it has no context to take one from");
        users = Users.forwardedToken(Config.autoConfigure(null));
      }
      default -> throw CofferException.usage("--auth must be kubeconfig or token, not " + auth);
    }
    ConsoleServer server;
    try {
      server =
          new ConsoleServer(
              users, new ConsoleServer.Settings(bind, port, shown, uploadMaxMib << 20));
    } catch (BindException e) {
      users.close();
      throw CofferException.usage(
          "port "
              + port
              + " on "
              + address
              + " is taken: pick another with --port (0: any free one)");
    }
    System.out.println(
        "console: "
            + server.url()
            + "   (namespaces "
            + String.join(", ", shown)
            + "; acting as "
            + (users.mode().equals("token") ? "each request's user" : "your kubeconfig's user")
            + "; Ctrl-C ends it)");
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    Thread.currentThread().join();
    return 0;
  }
}
