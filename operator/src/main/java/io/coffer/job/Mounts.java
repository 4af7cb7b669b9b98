package io.coffer.job;

import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Job mounts for its request, gathered while the request is made: each method mounts one
 * thing and returns the in-pod path the request names. {@link #places()} says in the resource's
 * words what each such path is, for messages that name a path.
 */
final class Mounts {
  // Secret and ConfigMap volumes are optional: a kubelet leaves a pod whose required volume is
  // missing in ContainerCreating for ever, while the engine, finding no file, fails at once and
  // says which spec field names the missing Secret or key (and does not retry: exit 2).
  static final String FILES_ROOT = "/data/files/";

  /** Where a Restore's source.archive volume is mounted (read-only). */
  static final String ARCHIVE_ROOT = "/data/archive";

  static final String STORAGE_ROOT = "/data/storage";

  /** Where the volume of a Backup's copy {@code i} is mounted: this and {@code i}. */
  static final String COPIES_ROOT = "/data/copies/";

  static final String SECRETS_ROOT = "/etc/coffer/";

  final List<Volume> volumes = new ArrayList<>();
  final List<VolumeMount> mounts = new ArrayList<>();
  private final Map<String, String> places = new LinkedHashMap<>();

  Mounts() {
    // the engine's only writable place besides its volumes: the root file system is read-only
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    mounts.add(mount("tmp", "/tmp", false));
  }

  Map<String, String> places() {
    return places;
  }

  /**
   * One key of a Secret as a file readable by the pod's fsGroup only; {@code name} names the
   * volume.
   */
  String secret(String name, KeyRef ref) {
    volumes.add(
        new VolumeBuilder()
            .withName(name)
            .withNewSecret()
            .withSecretName(ref.name)
            .withOptional(true)
            .withDefaultMode(0400)
            .addNewItem()
            .withKey(ref.key)
            .withPath("value")
            .endItem()
            .endSecret()
            .build());
    mounts.add(mount(name, SECRETS_ROOT + name, true));
    String path = SECRETS_ROOT + name + "/value";
    places.put(path, "(Secret " + ref.name + ", key " + ref.key + ")");
    return path;
  }

  /**
   * Two keys of one Secret as files, e.g. an S3 access key id and its secret: their paths, in the
   * order of {@code keys}.
   */
  List<String> secretKeys(String name, String secret, String... keys) {
    VolumeBuilder v = new VolumeBuilder().withName(name);
    var s = v.withNewSecret().withSecretName(secret).withOptional(true).withDefaultMode(0400);
    List<String> paths = new ArrayList<>();
    for (String k : keys) {
      s.addNewItem().withKey(k).withPath(k).endItem();
      paths.add(SECRETS_ROOT + name + "/" + k);
      places.put(SECRETS_ROOT + name + "/" + k, "(Secret " + secret + ", key " + k + ")");
    }
    volumes.add(s.endSecret().build());
    mounts.add(mount(name, SECRETS_ROOT + name, true));
    return paths;
  }

  /** One key of a ConfigMap as a file. */
  String configMap(String name, KeyRef ref, String file) {
    volumes.add(
        new VolumeBuilder()
            .withName(name)
            .withNewConfigMap()
            .withName(ref.name)
            .withOptional(true)
            .addNewItem()
            .withKey(ref.key)
            .withPath(file)
            .endItem()
            .endConfigMap()
            .build());
    mounts.add(mount(name, SECRETS_ROOT + name, true));
    String path = SECRETS_ROOT + name + "/" + file;
    places.put(path, "(ConfigMap " + ref.name + ", key " + ref.key + ")");
    return path;
  }

  /** {@code claim NAME[, subPath PATH]}: which volume a file tree entry names. */
  static String claim(BackupSpec.FileVolume f) {
    return "claim "
        + f.claimName
        + (f.subPath != null && !f.subPath.isBlank() ? ", subPath " + f.subPath : "");
  }

  /** A file volume's claim at /data/files/NAME; {@code words}: what it is in the resource. */
  String files(BackupSpec.FileVolume f, boolean readOnly, String words) {
    String vol = "files-" + f.name.toLowerCase().replaceAll("[^a-z0-9-]", "-");
    volumes.add(
        new VolumeBuilder()
            .withName(vol)
            .withNewPersistentVolumeClaim(f.claimName, readOnly)
            .build());
    VolumeMount vm = mount(vol, FILES_ROOT + f.name, readOnly);
    if (f.subPath != null && !f.subPath.isBlank()) vm.setSubPath(f.subPath);
    mounts.add(vm);
    places.put(FILES_ROOT + f.name, words);
    return FILES_ROOT + f.name;
  }

  /** A claim mounted read-only at {@code root}; returns {@code root/path}. */
  String claim(
      String name, String claimName, String root, String path, boolean readOnly, String words) {
    volumes.add(
        new VolumeBuilder()
            .withName(name)
            .withNewPersistentVolumeClaim(claimName, readOnly)
            .build());
    mounts.add(mount(name, root, readOnly));
    String at = path == null || path.isEmpty() ? root : root + "/" + path;
    places.put(at, words);
    places.putIfAbsent(root, words);
    return at;
  }

  /** Where a drill restores file trees: an emptyDir of its pod. */
  static final String DRILL_FILES = "/data/drill";

  /** An emptyDir at {@code path}, thrown away with the pod. */
  String emptyDir(String name, String path, String words) {
    volumes.add(new VolumeBuilder().withName(name).withNewEmptyDir().endEmptyDir().build());
    mounts.add(mount(name, path, false));
    places.put(path, words);
    return path;
  }

  static VolumeMount mount(String name, String path, boolean readOnly) {
    return new VolumeMountBuilder()
        .withName(name)
        .withMountPath(path)
        .withReadOnly(readOnly)
        .build();
  }
}
