package io.coffer.testing;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The ground the operator's tests and the demo stand on: a real {@link ControlPlane}, two Nodes
 * played by {@link NodeAgent}s ({@code node-a}, {@code node-b}), Coffer's CRDs installed by the API
 * server itself, and the Helm chart's ServiceAccount and RBAC rendered by Helm and applied (its
 * Deployment is not: the tests run the operator in their own JVM, authenticated as that
 * ServiceAccount with a token from the TokenRequest API, so what the chart's RBAC does not allow
 * fails). Namespaces are made with Pod Security {@code restricted} enforced. One per JVM ({@link
 * #shared()}), stopped when the JVM ends.
 */
public final class Cluster implements AutoCloseable {
  /**
   * The namespace and ServiceAccount the chart installs the operator as (release {@code coffer}).
   */
  public static final String OPERATOR_NAMESPACE = "coffer-system";

  public static final String OPERATOR_ACCOUNT = "coffer";

  private static Cluster shared;
  private final Path work;
  private final ControlPlane controlPlane;
  private final List<NodeAgent> nodes = new ArrayList<>();
  private final Set<String> namespaces = ConcurrentHashMap.newKeySet();

  /** The JVM's cluster, started on first use. */
  public static synchronized Cluster shared() throws Exception {
    if (shared == null) {
      shared =
          start(
              Path.of(System.getProperty("java.io.tmpdir")),
              Path.of(locate("crds")),
              Path.of(locate("charts/coffer")));
      Cluster c = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(c::close, "cluster-stop"));
    }
    return shared;
  }

  /** A folder of the checkout (crds/, charts/coffer), from a module's folder or the top. */
  static String locate(String rel) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(rel)) && Files.exists(p.resolve("pom.xml")))
        return p.resolve(rel).toString();
    }
    throw new IllegalStateException(
        "cannot find " + rel + " above " + Path.of("").toAbsolutePath());
  }

  public static Cluster start(Path work, Path crds, Path chart) throws Exception {
    return new Cluster(Files.createTempDirectory(work, "coffer-cluster"), crds, chart);
  }

  private Cluster(Path work, Path crds, Path chart) throws Exception {
    this.work = work;
    this.controlPlane = ControlPlane.start(work);
    try {
      KubernetesClient admin = controlPlane.admin();
      installCrds(crds);
      namespace(OPERATOR_NAMESPACE);
      installChart(chart);
      nodes.add(new NodeAgent(admin, "node-a", work));
      nodes.add(new NodeAgent(admin, "node-b", work));
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public KubernetesClient admin() {
    return controlPlane.admin();
  }

  public List<NodeAgent> nodes() {
    return nodes;
  }

  public NodeAgent node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  /**
   * A client authenticated as the chart's operator ServiceAccount: what the operator can do on a
   * real install.
   */
  public KubernetesClient operatorClient() {
    return controlPlane.client(controlPlane.token(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT));
  }

  /** Creates each CRD (or replaces it) and waits until the API server serves it. */
  private void installCrds(Path dir) throws Exception {
    KubernetesClient admin = admin();
    try (var files = Files.list(dir)) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
              .sorted()
              .toList()) {
        CustomResourceDefinition crd;
        try (var in = Files.newInputStream(f)) {
          crd = admin.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        }
        admin.resource(crd).serverSideApply();
        admin
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c != null
                        && c.getStatus() != null
                        && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                x ->
                                    "Established".equals(x.getType())
                                        && "True".equals(x.getStatus())),
                60,
                TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The chart's ServiceAccount, roles and bindings and its admission policies, rendered by Helm
   * (release coffer in coffer-system).
   */
  private void installChart(Path chart) throws IOException {
    String rendered =
        new Helm(chart)
            .template()
            .withName("coffer")
            .withNamespace(OPERATOR_NAMESPACE)
            .withKubeVersion("v" + ControlPlane.VERSION)
            .call();
    Set<String> kinds =
        Set.of(
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            // who did what: coffer.io/requested-by, written by the API server
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding");
    for (HasMetadata r : parse(rendered)) {
      if (!kinds.contains(r.getKind())) continue;
      if (r.getMetadata().getNamespace() == null && !r.getKind().startsWith("Cluster"))
        r.getMetadata().setNamespace(OPERATOR_NAMESPACE);
      admin().resource(r).serverSideApply();
    }
  }

  /** Everything in a YAML stream (documents separated by ---), as typed resources. */
  public List<HasMetadata> parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.strip().isEmpty() || !doc.contains("kind:")) continue;
      Object o = admin().getKubernetesSerialization().unmarshal(doc);
      if (o instanceof HasMetadata h) out.add(h);
      else if (o instanceof List<?> l) l.forEach(x -> out.add((HasMetadata) x));
    }
    return out;
  }

  /**
   * A namespace with Pod Security "restricted" enforced, as a hardened cluster's would be;
   * idempotent.
   */
  public void namespace(String name) throws InterruptedException {
    if (!namespaces.add(name)) return;
    try {
      admin()
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                  .addToLabels("pod-security.kubernetes.io/enforce-version", "latest")
                  .addToLabels("pod-security.kubernetes.io/warn", "restricted")
                  .endMetadata()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) throw e;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (admin().serviceAccounts().inNamespace(name).withName("default").get() == null) {
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("namespace " + name + " got no default ServiceAccount");
      Thread.sleep(50);
    }
  }

  /**
   * A PersistentVolumeClaim {@code namespace/name} bound to a PersistentVolume over folder {@code
   * dir} (hostPath, any node), bound by the real PV controller.
   */
  public void claim(String namespace, String name, Path dir) throws Exception {
    claim(namespace, name, dir, null);
  }

  /**
   * As {@link #claim(String, String, Path)}, but a {@code local} volume that only {@code node} has
   * (node affinity), ReadWriteOnce.
   */
  public void claim(String namespace, String name, Path dir, String node) throws Exception {
    namespace(namespace);
    Files.createDirectories(dir);
    String pv = "pv-" + namespace + "-" + name;
    var spec =
        new io.fabric8.kubernetes.api.model.PersistentVolumeSpecBuilder()
            .withCapacity(Map.of("storage", new Quantity("10Gi")))
            .withAccessModes("ReadWriteOnce")
            .withPersistentVolumeReclaimPolicy("Retain")
            .withStorageClassName("")
            .withNewClaimRef()
            .withNamespace(namespace)
            .withName(name)
            .endClaimRef();
    if (node == null) {
      spec.withNewHostPath().withPath(dir.toString()).withType("DirectoryOrCreate").endHostPath();
    } else {
      spec.withNewLocal()
          .withPath(dir.toString())
          .endLocal()
          .withNewNodeAffinity()
          .withNewRequired()
          .addNewNodeSelectorTerm()
          .addNewMatchExpression()
          .withKey("kubernetes.io/hostname")
          .withOperator("In")
          .withValues(node)
          .endMatchExpression()
          .endNodeSelectorTerm()
          .endRequired()
          .endNodeAffinity();
    }
    PersistentVolume volume =
        new PersistentVolumeBuilder()
            .withNewMetadata()
            .withName(pv)
            .addToLabels("coffer.io/test-claim", name)
            .endMetadata()
            .withSpec(spec.build())
            .build();
    admin().persistentVolumes().resource(volume).create();
    admin()
        .persistentVolumeClaims()
        .inNamespace(namespace)
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName("")
                .withVolumeName(pv)
                .withNewResources()
                .withRequests(Map.of("storage", new Quantity("1Gi")))
                .endResources()
                .endSpec()
                .build())
        .create();
    admin()
        .persistentVolumeClaims()
        .inNamespace(namespace)
        .withName(name)
        .waitUntilCondition(
            c -> c != null && c.getStatus() != null && "Bound".equals(c.getStatus().getPhase()),
            60,
            TimeUnit.SECONDS);
  }

  // what the tests ask of "the kubelet", now of every node

  public Cluster env(String key, String value) {
    nodes.forEach(n -> n.env(key, value));
    return this;
  }

  public void hold() {
    nodes.forEach(NodeAgent::hold);
  }

  public void release() {
    nodes.forEach(NodeAgent::release);
  }

  public void killFirstAttempts(Random random, long maxMillis) {
    nodes.forEach(n -> n.killFirstAttempts(random, maxMillis));
  }

  /** Pods whose container was stopped because the pod was deleted while it ran, on any node. */
  public Set<String> killed() {
    Set<String> all = new TreeSet<>();
    nodes.forEach(n -> all.addAll(n.killed()));
    return all;
  }

  @Override
  public void close() {
    for (NodeAgent n : nodes) n.close();
    if (controlPlane != null) controlPlane.close();
    try (var s = Files.walk(work)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary folder
    }
  }
}
