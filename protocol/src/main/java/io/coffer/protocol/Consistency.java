package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Whether a backup's database part is one moment of its source. {@code PointInTime}: the server
 * keeps an oplog; the backup holds the oplog entries written while it read (its chosen collections'
 * only), and a restore replays them, so the copy is the database as it was at {@code at} (the
 * backup's last read). {@code PerCollection}: each collection is as it was when it was read, a
 * little apart from the others; {@code reason} says why (a server without an oplog, such as a
 * standalone or FerretDB; an oplog that rolled over during the backup; ...).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Consistency(String mode, String at, String reason) {
  public static final String POINT_IN_TIME = "PointInTime";
  public static final String PER_COLLECTION = "PerCollection";

  public static Consistency pointInTime(String at) {
    return new Consistency(POINT_IN_TIME, at, null);
  }

  public static Consistency perCollection(String reason) {
    return new Consistency(PER_COLLECTION, null, reason);
  }

  public boolean isPointInTime() {
    return POINT_IN_TIME.equals(mode);
  }
}
