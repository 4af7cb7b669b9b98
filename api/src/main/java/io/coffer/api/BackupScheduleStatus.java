package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupScheduleStatus {
  public List<Condition> conditions = new ArrayList<>();
  public Long observedGeneration;
  public String lastScheduleTime;
  public String nextScheduleTime;
  public String lastSuccessfulBackup;
  public String lastSuccessfulTime;
  public String lastFailedBackup;
  public List<String> active;
  public Integer retained;
  public Long totalStoredBytes;
  public String totalSize;
  public String lastVerificationTime;
}
