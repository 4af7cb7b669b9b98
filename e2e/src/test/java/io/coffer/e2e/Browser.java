package io.coffer.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Real headless Chromium (Debian's {@code chromium}, driven by its {@code chromium-driver} through
 * Selenium): nothing about the page is simulated. {@link #missing()} says why it cannot start (CI
 * installs both packages; under CI=true a missing browser fails the suite instead of skipping it).
 */
public final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  public final ChromeDriver driver;

  public Browser() throws Exception {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toString());
    o.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1360,1000",
        "--user-data-dir=" + Files.createTempDirectory("coffer-chromium"));
    org.openqa.selenium.logging.LoggingPreferences logs =
        new org.openqa.selenium.logging.LoggingPreferences();
    logs.enable(org.openqa.selenium.logging.LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, o);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
  }

  /** Null when Chromium and its driver are installed, else what is missing and how to get it. */
  public static String missing() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER)) return null;
    return "no "
        + (Files.isExecutable(CHROMIUM) ? DRIVER : CHROMIUM)
        + ": apt-get install chromium chromium-driver (.ci/run does)";
  }

  /**
   * A fresh page load (the same address with another #fragment would only change the fragment and
   * keep the page's state).
   */
  public void open(String url) {
    driver.get("about:blank");
    driver.get(url);
  }

  public WebElement find(String test) {
    return await(
        "[data-test='" + test + "']",
        d -> {
          List<WebElement> e = d.findElements(By.cssSelector("[data-test='" + test + "']"));
          return e.isEmpty() || !e.get(0).isDisplayed() ? null : e.get(0);
        });
  }

  /**
   * Replaces what the input with this data-test attribute holds by {@code text}, as a person would
   * type it.
   */
  public void fill(String test, String text) {
    WebElement e = find(test);
    e.clear();
    e.sendKeys(text);
  }

  public List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  public boolean present(String test) {
    return !driver.findElements(By.cssSelector("[data-test='" + test + "']")).isEmpty();
  }

  /**
   * Waits (up to 90 s: Jobs run in it) for {@code until} to return something other than null or
   * false.
   */
  public <T> T await(String what, Function<WebDriver, T> until) {
    try {
      return new WebDriverWait(driver, Duration.ofSeconds(90), Duration.ofMillis(100))
          .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
          .withMessage(
              () ->
                  what
                      + "; the page says: "
                      + text("main")
                      + " | banner: "
                      + text("#banner")
                      + " | console: "
                      + consoleLog())
          .until(until);
    } catch (RuntimeException e) {
      throw e;
    }
  }

  /** Waits until the element with this data-test attribute has text containing {@code part}. */
  public WebElement awaitText(String test, String part) {
    return await(
        test + " to contain '" + part + "'",
        d -> {
          for (WebElement e : d.findElements(By.cssSelector("[data-test='" + test + "']"))) {
            if (e.getText().contains(part)) return e;
          }
          return null;
        });
  }

  /** What the page's scripts printed (errors included), for a failure message. */
  public String consoleLog() {
    try {
      return driver
          .manage()
          .logs()
          .get(org.openqa.selenium.logging.LogType.BROWSER)
          .getAll()
          .stream()
          .map(e -> e.getLevel() + " " + e.getMessage())
          .toList()
          .toString();
    } catch (RuntimeException e) {
      return "(no browser log: " + e.getMessage() + ")";
    }
  }

  public String text(String css) {
    List<WebElement> e = driver.findElements(By.cssSelector(css));
    return e.isEmpty() ? "" : e.get(0).getText();
  }

  /** A PNG of the window, for docs/ (with -Dcoffer.writeDocs=true) or target/. */
  public void screenshot(String name) throws Exception {
    Path dir =
        Boolean.getBoolean("coffer.writeDocs")
            ? Path.of("../docs/console")
            : Path.of("target/console-screenshots");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
