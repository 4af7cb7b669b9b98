package io.coffer.protocol;

/**
 * What a Job runs: gives the Job its name suffix and its {@code coffer.io/purpose} label, and says
 * which request it carries and which result its success leaves.
 */
public enum Purpose {
  BACKUP("backup", BackupRequest.class, "Succeeded"),
  VERIFY("verify", VerifyRequest.class, "Verified"),
  SHARE("share", ShareRequest.class, ShareResult.STATUS),
  UPLOAD("upload", UploadRequest.class, UploadResult.STATUS),
  DELETE("delete", DeleteRequest.class, DeleteResult.STATUS),
  COPY("copy", CopyRequest.class, CopyResult.STATUS),
  DRILL("drill", DrillRequest.class, DrillResult.STATUS),
  RESTORE("restore", RestoreRequest.class, "Succeeded"),
  OPLOG_ARCHIVE("oplog-archive", OplogArchiveRequest.class, OplogWindow.STATUS);

  private final String label;
  private final Class<? extends Request> request;
  private final String successStatus;

  Purpose(String label, Class<? extends Request> request, String successStatus) {
    this.label = label;
    this.request = request;
    this.successStatus = successStatus;
  }

  /**
   * The label value, the Job name's suffix and the request's {@code kind}: {@code backup}, {@code
   * verify}, ...
   */
  public String label() {
    return label;
  }

  public Class<? extends Request> requestType() {
    return request;
  }

  /**
   * The {@code status} of the result a success leaves (a restore's dry run leaves {@code Planned}).
   */
  public String successStatus() {
    return successStatus;
  }

  /** The purpose with this label, or null. */
  public static Purpose byLabel(String label) {
    for (Purpose p : values()) if (p.label.equals(label)) return p;
    return null;
  }
}
