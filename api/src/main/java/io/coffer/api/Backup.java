package io.coffer.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One backup of MongoDB collections and/or file volumes, made by a Job that runs the engine. */
@Group(Backup.GROUP)
@Version(Backup.VERSION)
@Kind("Backup")
@Plural("backups")
@ShortNames("cbk")
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Type",
    jsonPath = ".spec.type",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Progress",
    jsonPath = ".status.progress.percent",
    type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(
    name = "Size",
    jsonPath = ".status.size",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Duration",
    jsonPath = ".status.duration",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Schedule",
    jsonPath = ".metadata.labels.coffer\\.io/schedule",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Requested-By",
    jsonPath = ".metadata.annotations.coffer\\.io/requested-by",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class Backup extends CustomResource<BackupSpec, BackupStatus> implements Namespaced {
  public static final String GROUP = "coffer.io";

  /**
   * Who created a Backup, BackupSchedule or Restore: written by the API server (the chart's
   * admission policies); on a Backup a schedule created, the schedule's requester.
   */
  public static final String REQUESTED_BY = "coffer.io/requested-by";

  /** On a Backup a schedule created: {@code schedule NAME}, the way its requester asked for it. */
  public static final String REQUESTED_VIA = "coffer.io/requested-via";

  public static final String VERSION = "v1alpha1";

  @Override
  @ValidationRule(
      value = "self == oldSelf",
      message = "a Backup is a request: its spec cannot change; create a new Backup instead")
  public BackupSpec getSpec() {
    return super.getSpec();
  }
}
