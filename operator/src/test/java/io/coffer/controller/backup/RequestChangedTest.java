package io.coffer.controller.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupStatus;
import io.coffer.api.Phase;
import io.coffer.controller.RequestChanged;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which updates wake the Backup controller: its owner's requests and its deletion, never its own
 * status writes.
 */
class RequestChangedTest {
  static final KubernetesSerialization JSON = new KubernetesSerialization();
  final RequestChanged filter = new RequestChanged();

  @Test
  void givenOnlyTheStatusChanged_thenNoReconcile_butAnAnnotationASpecChangeOrADeletionDoes() {
    Backup old = BackupDeciderTest.nightly().status(Phase.Running, s -> s.attempts = 1).build();
    Backup progressed = JSON.clone(old);
    progressed.getStatus().progress = new BackupStatus.Progress();
    progressed.getMetadata().setResourceVersion("2");
    assertThat(filter.accept(progressed, old)).isFalse();
    Backup asked = JSON.clone(old);
    asked.getMetadata().setAnnotations(Map.of(VerificationDecider.ANNOTATION, "now"));
    assertThat(filter.accept(asked, old)).isTrue();
    Backup deleted = JSON.clone(old);
    deleted.getMetadata().setDeletionTimestamp("2026-12-01T02:00:00Z");
    assertThat(filter.accept(deleted, old)).isTrue();
    Backup edited = JSON.clone(old);
    edited.getMetadata().setGeneration(2L);
    assertThat(filter.accept(edited, old)).isTrue();
  }
}
