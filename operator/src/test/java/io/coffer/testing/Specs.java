package io.coffer.testing;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.BackupStatus;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The test suites' one way to write a Backup or a Restore: a builder per kind with the fields the
 * scenarios vary, so no test class keeps its own copy of a spec. Plain values, nothing is sent
 * anywhere.
 */
public final class Specs {
  private Specs() {}

  public static BackupBuilder backup(String namespace, String name) {
    return new BackupBuilder(namespace, name);
  }

  public static RestoreBuilder restore(String namespace, String name) {
    return new RestoreBuilder(namespace, name);
  }

  public static final class BackupBuilder {
    private final Backup b = new Backup();
    private final BackupSpec s = new BackupSpec();
    private final List<BackupSpec.FileVolume> files = new ArrayList<>();

    BackupBuilder(String namespace, String name) {
      b.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
      s.type = BackupSpec.Type.Full;
      b.setSpec(s);
    }

    public BackupBuilder uid(String uid) {
      b.getMetadata().setUid(uid);
      return this;
    }

    public BackupBuilder generation(long g) {
      b.getMetadata().setGeneration(g);
      return this;
    }

    public BackupBuilder created(String timestamp) {
      b.getMetadata().setCreationTimestamp(timestamp);
      return this;
    }

    public BackupBuilder annotation(String key, String value) {
      if (b.getMetadata().getAnnotations() == null) b.getMetadata().setAnnotations(new HashMap<>());
      b.getMetadata().getAnnotations().put(key, value);
      return this;
    }

    public BackupBuilder label(String key, String value) {
      if (b.getMetadata().getLabels() == null) b.getMetadata().setLabels(new HashMap<>());
      b.getMetadata().getLabels().put(key, value);
      return this;
    }

    public BackupBuilder deleting(String since) {
      b.getMetadata().setDeletionTimestamp(since);
      return this;
    }

    public BackupBuilder type(BackupSpec.Type type) {
      s.type = type;
      return this;
    }

    public BackupBuilder mongo(String secret, String key, String... include) {
      s.source.mongodb = new BackupSpec.MongoSource();
      s.source.mongodb.uriSecret = new KeyRef(secret, key);
      s.source.mongodb.include = List.of(include);
      return this;
    }

    public BackupBuilder files(String name, String claim) {
      return files(name, claim, null);
    }

    public BackupBuilder files(String name, String claim, String subPath) {
      BackupSpec.FileVolume f = new BackupSpec.FileVolume();
      f.name = name;
      f.claimName = claim;
      f.subPath = subPath;
      files.add(f);
      s.source.files = List.copyOf(files);
      return this;
    }

    public BackupBuilder s3(
        String endpoint, String bucket, String prefix, String credentialsSecret) {
      s.storage.volume = null;
      s.storage.s3 = new BackupSpec.S3();
      s.storage.s3.endpoint = endpoint;
      s.storage.s3.bucket = bucket;
      s.storage.s3.prefix = prefix;
      s.storage.s3.credentialsSecret = credentialsSecret;
      return this;
    }

    public BackupBuilder volume(String claim) {
      s.storage.s3 = null;
      s.storage.volume = new BackupSpec.VolumeStorage();
      s.storage.volume.claimName = claim;
      return this;
    }

    /** A copy to another bucket ({@code spec.copies}). */
    public BackupBuilder copyToS3(
        String name, String endpoint, String bucket, String credentialsSecret) {
      BackupSpec.CopySpec c = new BackupSpec.CopySpec();
      c.name = name;
      c.storage.s3 = new BackupSpec.S3();
      c.storage.s3.endpoint = endpoint;
      c.storage.s3.bucket = bucket;
      c.storage.s3.credentialsSecret = credentialsSecret;
      if (s.copies == null) s.copies = new ArrayList<>();
      s.copies.add(c);
      return this;
    }

    /** A copy to a volume ({@code spec.copies}). */
    public BackupBuilder copyToVolume(String name, String claim) {
      BackupSpec.CopySpec c = new BackupSpec.CopySpec();
      c.name = name;
      c.storage.volume = new BackupSpec.VolumeStorage();
      c.storage.volume.claimName = claim;
      if (s.copies == null) s.copies = new ArrayList<>();
      s.copies.add(c);
      return this;
    }

    public BackupBuilder recipients(String secret, String key) {
      s.encryption = new BackupSpec.EncryptionSpec();
      s.encryption.recipients = new KeyRef(secret, key);
      return this;
    }

    public BackupBuilder chain(String secret, String key) {
      s.chain = new BackupSpec.ChainSpec();
      s.chain.indexKeySecret = new KeyRef(secret, key);
      return this;
    }

    public BackupBuilder backoffLimit(int n) {
      s.backoffLimit = n;
      return this;
    }

    public BackupBuilder ttl(String ttl) {
      s.ttl = ttl;
      return this;
    }

    public BackupBuilder deletionPolicy(BackupSpec.DeletionPolicy p) {
      s.deletionPolicy = p;
      return this;
    }

    /**
     * A status as the operator would have written it: the phase, and what else the scenario sets.
     */
    public BackupBuilder status(Phase phase, Consumer<BackupStatus> more) {
      BackupStatus st = new BackupStatus();
      st.phase = phase;
      more.accept(st);
      b.setStatus(st);
      return this;
    }

    public Backup build() {
      return b;
    }
  }

  public static final class RestoreBuilder {
    private final Restore r = new Restore();
    private final RestoreSpec s = new RestoreSpec();

    RestoreBuilder(String namespace, String name) {
      r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
      s.mode = RestoreSpec.Mode.Merge;
      r.setSpec(s);
    }

    public RestoreBuilder uid(String uid) {
      r.getMetadata().setUid(uid);
      return this;
    }

    public RestoreBuilder created(String timestamp) {
      r.getMetadata().setCreationTimestamp(timestamp);
      return this;
    }

    public RestoreBuilder backupName(String name) {
      s.backupName = name;
      return this;
    }

    public RestoreBuilder mode(RestoreSpec.Mode mode) {
      s.mode = mode;
      return this;
    }

    public RestoreBuilder dryRun() {
      s.dryRun = true;
      return this;
    }

    public RestoreBuilder confirm() {
      s.confirm = true;
      return this;
    }

    public RestoreBuilder identity(String secret, String key) {
      s.decryption = new RestoreSpec.Decryption();
      s.decryption.identity = new KeyRef(secret, key);
      return this;
    }

    public RestoreBuilder targetFiles(String name, String claim) {
      if (s.target == null) s.target = new RestoreSpec.Target();
      BackupSpec.FileVolume f = new BackupSpec.FileVolume();
      f.name = name;
      f.claimName = claim;
      List<BackupSpec.FileVolume> all = new ArrayList<>(s.target.files);
      all.add(f);
      s.target.files = all;
      return this;
    }

    public RestoreBuilder targetMongo(String secret, String key) {
      if (s.target == null) s.target = new RestoreSpec.Target();
      s.target.mongodb = new RestoreSpec.TargetMongo();
      s.target.mongodb.uriSecret = new KeyRef(secret, key);
      return this;
    }

    /**
     * Into other databases of the same MongoDB (the Backup's source, unless targetMongo named
     * another).
     */
    public RestoreBuilder renameDatabases(Map<String, String> renames) {
      if (s.target == null) s.target = new RestoreSpec.Target();
      if (s.target.mongodb == null) s.target.mongodb = new RestoreSpec.TargetMongo();
      s.target.mongodb.renameDatabases = renames;
      return this;
    }

    public RestoreBuilder status(Consumer<RestoreStatus> set) {
      RestoreStatus st = new RestoreStatus();
      set.accept(st);
      r.setStatus(st);
      return this;
    }

    public Restore build() {
      return r;
    }
  }
}
