package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.job.JobFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator restarting while Backups run: it adopts their Jobs, and each Backup ends with one
 * Job per attempt. On the shared real control plane of {@link OperatorHarness} (which says what is
 * simulated: the nodes).
 */
class OperatorRestartIT {
  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
  }

  @Test
  void
      givenAnOperatorRestartWhileAJobRuns_whenTheNewOperatorStarts_thenItAdoptsTheJobAndMakesNoDuplicate()
          throws Exception {
    kubelet.hold();
    try {
      client.resource(backup("restart", "s3")).create();
      await("restart", x -> x.getStatus() != null && x.getStatus().jobName != null);
      restartOperator();
      Thread.sleep(1000); // the new operator reconciles the Backup while its Job waits
    } finally {
      kubelet.release();
    }
    Backup b = await("restart", x -> x.getStatus().phase == Phase.Succeeded);
    assertThat(b.getStatus().attempts).isEqualTo(1);
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, "restart")
                .list()
                .getItems())
        .hasSize(1);
  }

  @Test
  void givenTenBackupsInFlight_whenTheOperatorRestarts_thenAllConvergeWithOneJobEach()
      throws Exception {
    List<String> names = new ArrayList<>();
    kubelet.hold();
    try {
      for (int i = 0; i < 10; i++) {
        Backup b = backup("fleet-" + i, "s3");
        b.getSpec().type = BackupSpec.Type.Database;
        b.getSpec().source.files = List.of();
        b.getSpec().source.mongodb.include = List.of("erp.invoices");
        client.resource(b).create();
        names.add("fleet-" + i);
      }
      for (String n : names) await(n, x -> x.getStatus() != null && x.getStatus().jobName != null);
      restartOperator();
      Thread.sleep(1000); // the new operator looks at all ten while their pods wait
    } finally {
      kubelet.release();
    }
    for (String n : names) {
      Backup b = await(n, x -> x.getStatus().phase != null && x.getStatus().phase.terminal());
      assertThat(b.getStatus().phase)
          .as(n + ": " + b.getStatus().lastError)
          .isEqualTo(Phase.Succeeded);
      assertThat(b.getStatus().attempts).isEqualTo(1);
      assertThat(
              client
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NS)
                  .withLabel(JobFactory.LABEL_BACKUP, n)
                  .list()
                  .getItems())
          .as(n)
          .hasSize(1);
    }
  }
}
