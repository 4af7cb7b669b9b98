package io.coffer.cli;

import io.coffer.engine.base.CofferException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The demo's embedded servers (mock Kubernetes API, MongoDB, S3) are not part of this jar or the
 * image, so production carries none of them; the demo runs from a source checkout.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole system on embedded parts (from a source checkout, not from this jar or the image).",
      "In a checkout:",
      "  git clone <coffer repository> && cd coffer && ./coffer demo"
    })
final class DemoCommand implements Callable<Integer> {
  @Parameters(hidden = true)
  List<String> ignored = List.of();

  @Override
  public Integer call() {
    throw CofferException.usage(
        "the demo is not in this jar (its embedded servers stay out of production): run ./coffer demo from a source checkout");
  }
}
