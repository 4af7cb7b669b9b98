package io.coffer.cli;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.engine.base.Version;
import io.coffer.protocol.ExitCode;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code coffer}: one jar, one subcommand per mode. */
@Command(
    name = "coffer",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = {
      "Backups of MongoDB databases and file trees: zip archives, age encryption, S3 or a volume.",
      ""
    },
    subcommands = {
      BackupCommand.class,
      RestoreCommand.class,
      RunCommand.class,
      VerifyCommand.class,
      InspectCommand.class,
      ListCommand.class,
      DownloadCommand.class,
      ShareCommand.class,
      LogsCommand.class,
      DeleteCommand.class,
      CopyCommand.class,
      DrillCommand.class,
      OplogArchiveCommand.class,
      KeygenCommand.class,
      OperatorCommand.class,
      ConsoleCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%nExit codes:%n")
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    CommandLine cl = commandLine();
    try {
      return cl.execute(args);
    } catch (StackOverflowError e) {
      System.err.println(
          "coffer: error: unexpected error: the stack overflowed (please report this with the command and its log)");
      return ExitCode.INTERNAL.code();
    } catch (OutOfMemoryError e) {
      System.err.println(
          "coffer: error: out of memory ("
              + e.getMessage()
              + "): in a pod, raise spec.podTemplate.resources.limits.memory"
              + " (the heap is half of it); by hand, COFFER_JAVA_OPTS=-Xmx512m");
      return ExitCode.INTERNAL.code();
    }
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // one source for the exit codes: the ExitCode enum
    cl.getCommandSpec()
        .usageMessage()
        .footer(
            Arrays.stream(ExitCode.values())
                .map(c -> String.format("  %d  %s", c.code(), c.meaning()))
                .toArray(String[]::new));
    cl.setExecutionExceptionHandler(
        (ex, cmd, parse) -> {
          PrintWriter err = cmd.getErr();
          ExitCode code = ExitCode.INTERNAL;
          String message;
          if (ex instanceof CofferException ce) {
            code = ce.code();
            message = ce.getMessage();
          } else if (ex instanceof InvalidPathException ipe
              && String.valueOf(ipe.getReason()).contains("unmappable")) {
            // a name the JVM cannot map to its file name encoding: LANG=C makes that ASCII
            code = ExitCode.USAGE;
            message =
                "a file name is not representable in this JVM's file name encoding ("
                    + System.getProperty("sun.jnu.encoding")
                    + "): run coffer with a UTF-8 locale, e.g. LANG=C.UTF-8 (./coffer and the image set one)";
          } else {
            message =
                "unexpected error: "
                    + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : ": " + firstLine(ex.getMessage()))
                    + " (please report this with the command and its log)";
            if (System.getenv("COFFER_DEBUG") != null) ex.printStackTrace(err);
          }
          message = Printable.escape(message); // names from archives reach this line
          Object user = cmd.getCommand();
          // the engine names request fields with marks: each command shows them in its own words (a
          // flag, a request path)
          err.println(
              "coffer: error: "
                  + (user instanceof ResultWriting rw
                      ? rw.words(message)
                      : Flags.render(message, null, false)));
          err.flush();
          if (user instanceof ResultWriting rw) rw.writeFailure(code, message);
          return code.code();
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          String suggestion = "";
          if (ex instanceof CommandLine.UnmatchedArgumentException u
              && !u.getSuggestions().isEmpty()) {
            suggestion = "; did you mean " + u.getSuggestions().get(0) + "?";
          }
          err.println(
              "coffer: error: " + Printable.escape(Main.firstLine(ex.getMessage())) + suggestion);
          err.println(
              "Run '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for usage.");
          err.flush();
          return ExitCode.USAGE.code();
        });
    return cl;
  }

  static String firstLine(String s) {
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"coffer " + Version.get()};
    }
  }

  /** Commands that write a result file, also on failure, for the operator to read. */
  interface ResultWriting {
    /** {@code message}: one line, with the engine's field marks in it. */
    void writeFailure(ExitCode code, String message);

    /** The message as this command shows it to a person (its field marks in words). */
    String words(String message);
  }
}
