package io.coffer.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;

/**
 * The contract between the engine (which runs in Job pods) and the operator (which reads what the
 * pods leave): the progress lines of the pod's log and the result in its termination message, as
 * typed records, written and read through this one mapper. Unknown fields are ignored, so an older
 * operator reads a newer engine.
 */
public final class Protocol {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

  /**
   * Requests are read strictly: a field the engine does not know (a typo such as {@code
   * "encrypton"}, or a newer operator's field) is refused rather than silently dropped.
   */
  private static final ObjectMapper REQUESTS =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  private Protocol() {}

  public static String write(Object o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What an engine run ended with: one of its results, or its failure; {@link Unknown} for anything
   * else.
   */
  public sealed interface Outcome
      permits Backup,
          Restore,
          Verify,
          Share,
          Upload,
          Delete,
          Copy,
          Drill,
          Archived,
          Failed,
          Unknown {}

  public record Backup(BackupResult result) implements Outcome {}

  public record Restore(RestoreResult result) implements Outcome {}

  public record Verify(VerifyResult result) implements Outcome {}

  public record Share(ShareResult result) implements Outcome {}

  public record Upload(UploadResult result) implements Outcome {}

  public record Delete(DeleteResult result) implements Outcome {}

  public record Copy(CopyResult result) implements Outcome {}

  public record Drill(DrillResult result) implements Outcome {}

  /** An oplog archiver that stopped, and the window it left. */
  public record Archived(OplogWindow result) implements Outcome {}

  public record Failed(Failure failure) implements Outcome {}

  /**
   * Not a result the engine writes (a message from Kubernetes, say, or nothing): {@code text} as it
   * was.
   */
  public record Unknown(String text) implements Outcome {}

  /**
   * Reads a termination message of a Job run for {@code purpose}: its result on success, its
   * failure, or {@link Unknown}.
   */
  public static Outcome outcome(String message, Purpose purpose) {
    if (message == null || message.isBlank()) return new Unknown(message);
    try {
      JsonNode n = MAPPER.readTree(message);
      if (n == null || !n.isObject()) return new Unknown(message);
      String status = n.path("status").asText("");
      if (status.equals(Failure.STATUS)) return new Failed(MAPPER.treeToValue(n, Failure.class));
      boolean success =
          status.equals(purpose.successStatus())
              || (purpose == Purpose.RESTORE && status.equals("Planned"));
      if (!success) return new Unknown(message);
      return switch (purpose) {
        case BACKUP -> new Backup(MAPPER.treeToValue(n, BackupResult.class));
        case RESTORE -> new Restore(MAPPER.treeToValue(n, RestoreResult.class));
        case VERIFY -> new Verify(MAPPER.treeToValue(n, VerifyResult.class));
        case SHARE -> new Share(MAPPER.treeToValue(n, ShareResult.class));
        case UPLOAD -> new Upload(MAPPER.treeToValue(n, UploadResult.class));
        case DELETE -> new Delete(MAPPER.treeToValue(n, DeleteResult.class));
        case COPY -> new Copy(MAPPER.treeToValue(n, CopyResult.class));
        case DRILL -> new Drill(MAPPER.treeToValue(n, DrillResult.class));
        case OPLOG_ARCHIVE -> new Archived(MAPPER.treeToValue(n, OplogWindow.class));
      };
    } catch (Exception e) {
      return new Unknown(message);
    }
  }

  /**
   * A request document ({@code coffer run --request FILE}); what is wrong with it, one line, as an
   * IllegalArgumentException.
   */
  public static Request request(String json) {
    try {
      Request r = REQUESTS.readValue(json, Request.class);
      if (r == null) throw new IllegalArgumentException("the request is empty");
      return r;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String why =
          e.getOriginalMessage() == null
              ? e.getClass().getSimpleName()
              : e.getOriginalMessage().lines().findFirst().orElse("");
      throw new IllegalArgumentException("not a request document: " + why, e);
    }
  }

  /**
   * A progress line of a pod's log, or null when the line is not one (a log line, or torn at the
   * end of a tail).
   */
  public static ProgressLine progress(String line) {
    if (line == null || !line.startsWith("{\"phase\"")) return null;
    try {
      return MAPPER.readValue(line, ProgressLine.class);
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * The window an oplog archiver's log line reports ({@code {"oplogWindow":...}}), or null when the
   * line is not one.
   */
  public static OplogWindow window(String line) {
    if (line == null || !line.startsWith("{\"" + OplogWindow.LOG_KEY + "\"")) return null;
    try {
      return MAPPER.readValue(line, OplogWindow.Line.class).oplogWindow();
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * Where an object of a backup lies, for people: {@code s3://bucket/prefix/ID/archive.zip (at
   * http://endpoint)} or {@code file:///root/ID/archive.zip}, from a storage description (a
   * storage's {@code describe()}).
   */
  public static String locate(String storageDescription, String id, String name) {
    int at = storageDescription.indexOf(" at ");
    String base = at < 0 ? storageDescription : storageDescription.substring(0, at);
    String where = base.replaceAll("/+$", "") + "/" + id + "/" + name;
    return at < 0 ? where : where + " (" + storageDescription.substring(at + 1) + ")";
  }
}
