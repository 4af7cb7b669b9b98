package io.coffer.demo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * A RayERP-like data set: the six modules' collections with realistic shapes (nested addresses,
 * line items, money as Decimal128, dates, arrays), and an uploads tree of contracts, specs and
 * scanned invoices. Seeded, so every run makes the same data.
 */
final class RayErpData {
  private static final String[] FIRST = {
    "Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal",
    "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Yara", "Zoe"
  };
  private static final String[] LAST = {
    "Adler",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Novak",
    "Okafor",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Weber",
    "Yilmaz",
    "Zhang"
  };
  private static final String[] CITIES = {
    "Berlin", "Munich", "Hamburg", "Vienna", "Zurich", "Lyon", "Milan", "Madrid", "Lisbon", "Prague"
  };
  private static final String[] DEPARTMENTS = {
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "HR",
    "Support",
    "Operations",
    "Legal",
    "Procurement",
    "Logistics",
    "Quality",
    "Research"
  };
  private static final String[] STATUSES = {"draft", "open", "paid", "overdue", "cancelled"};
  private final Random r;
  private final int scale;
  private final Instant base = LocalDate.of(2026, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);

  RayErpData(long seed, int scale) {
    this.r = new Random(seed);
    this.scale = scale;
  }

  /** Fills database {@code erp}; returns documents per collection. */
  Map<String, Long> seed(MongoClient client) {
    MongoDatabase db = client.getDatabase("erp");
    Map<String, Long> counts = new LinkedHashMap<>();
    // HR
    insert(
        db,
        "departments",
        DEPARTMENTS.length,
        i ->
            new Document("_id", new ObjectId())
                .append("code", "D" + (100 + i))
                .append("name", DEPARTMENTS[i])
                .append("costCenter", "CC-" + (4000 + i))
                .append("budget", money(200_000, 2_000_000)),
        counts);
    int employees = 2500 * scale;
    insert(
        db,
        "employees",
        employees,
        i ->
            new Document("_id", new ObjectId())
                .append("employeeNo", "E" + (10000 + i))
                .append("firstName", pick(FIRST))
                .append("lastName", pick(LAST))
                .append("email", "e" + (10000 + i) + "@rayerp.example")
                .append("department", pick(DEPARTMENTS))
                .append(
                    "title",
                    pick(new String[] {"Engineer", "Manager", "Analyst", "Clerk", "Director"}))
                .append("salary", money(38_000, 140_000))
                .append("hiredAt", date(-3000))
                .append("active", r.nextInt(20) != 0)
                .append(
                    "address",
                    new Document("street", (1 + r.nextInt(200)) + " " + pick(LAST) + "straße")
                        .append("city", pick(CITIES))
                        .append("zip", String.format("%05d", r.nextInt(99999)))
                        .append("country", "DE"))
                .append(
                    "skills",
                    List.of(
                        pick(new String[] {"java", "sql", "excel", "sap", "negotiation"}),
                        pick(new String[] {"english", "german", "french"}))),
        counts);
    insert(
        db,
        "attendance",
        12_000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("employeeNo", "E" + (10000 + r.nextInt(employees)))
                .append("day", date(-300))
                .append("hours", Math.round((6 + r.nextDouble() * 4) * 100) / 100.0)
                .append("remote", r.nextBoolean()),
        counts);
    insert(
        db,
        "leave_requests",
        800 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("employeeNo", "E" + (10000 + r.nextInt(employees)))
                .append("from", date(-200))
                .append("days", 1 + r.nextInt(14))
                .append("type", pick(new String[] {"vacation", "sick", "parental", "unpaid"}))
                .append("status", pick(new String[] {"requested", "approved", "rejected"})),
        counts);
    for (String month : List.of("2026_10", "2026_11")) {
      insert(
          db,
          "payroll_" + month,
          employees,
          i ->
              new Document("_id", "E" + (10000 + i) + "-" + month)
                  .append("employeeNo", "E" + (10000 + i))
                  .append("gross", money(3_000, 12_000))
                  .append("net", money(2_000, 8_000))
                  .append(
                      "deductions",
                      List.of(
                          new Document("type", "tax").append("amount", money(400, 3000)),
                          new Document("type", "pension").append("amount", money(200, 900)))),
          counts);
    }
    // Projects
    int projects = 150 * scale;
    insert(
        db,
        "projects",
        projects,
        i ->
            new Document("_id", "P-" + (2000 + i))
                .append(
                    "name",
                    pick(CITIES)
                        + " "
                        + pick(
                            new String[] {"rollout", "migration", "audit", "warehouse", "portal"}))
                .append("owner", "E" + (10000 + r.nextInt(employees)))
                .append("start", date(-400))
                .append("budget", money(10_000, 900_000))
                .append("status", pick(new String[] {"planned", "active", "on-hold", "done"})),
        counts);
    insert(
        db,
        "tasks",
        4000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("project", "P-" + (2000 + r.nextInt(projects)))
                .append(
                    "title",
                    "Task "
                        + i
                        + ": "
                        + pick(new String[] {"design", "review", "deploy", "test", "document"}))
                .append("assignee", "E" + (10000 + r.nextInt(employees)))
                .append("estimateHours", 1 + r.nextInt(40))
                .append("done", r.nextBoolean())
                .append(
                    "tags", List.of(pick(new String[] {"backend", "frontend", "infra", "ops"}))),
        counts);
    insert(
        db,
        "timesheets",
        6000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("employeeNo", "E" + (10000 + r.nextInt(employees)))
                .append("project", "P-" + (2000 + r.nextInt(projects)))
                .append("week", "2026-W" + (1 + r.nextInt(47)))
                .append("hours", r.nextInt(41)),
        counts);
    insert(
        db,
        "milestones",
        450 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("project", "P-" + (2000 + r.nextInt(projects)))
                .append("name", "M" + (1 + i % 5))
                .append("due", date(200))
                .append("reached", r.nextBoolean()),
        counts);
    // Finance
    int customers = 600 * scale;
    insert(
        db,
        "invoices",
        3000 * scale,
        i -> {
          List<Document> lines = new ArrayList<>();
          BigDecimal total = BigDecimal.ZERO;
          for (int l = 0, n = 1 + r.nextInt(5); l < n; l++) {
            BigDecimal price = BigDecimal.valueOf(500 + r.nextInt(50_000), 2);
            int qty = 1 + r.nextInt(20);
            total = total.add(price.multiply(BigDecimal.valueOf(qty)));
            lines.add(
                new Document("sku", "SKU-" + r.nextInt(900))
                    .append("qty", qty)
                    .append("price", new Decimal128(price)));
          }
          return new Document("_id", "INV-2026-" + String.format("%06d", i))
              .append("customer", "C-" + r.nextInt(customers))
              .append("issuedAt", date(-330))
              .append("dueAt", date(30))
              .append("currency", "EUR")
              .append("lines", lines)
              .append("total", new Decimal128(total))
              .append("status", pick(STATUSES));
        },
        counts);
    insert(
        db,
        "payments",
        2600 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("invoice", "INV-2026-" + String.format("%06d", r.nextInt(3000 * scale)))
                .append("amount", money(50, 20_000))
                .append("method", pick(new String[] {"sepa", "card", "wire"}))
                .append("receivedAt", date(-300)),
        counts);
    insert(
        db,
        "accounts",
        120,
        i ->
            new Document("_id", String.valueOf(1000 + i * 10))
                .append("name", "Account " + (1000 + i * 10))
                .append(
                    "type",
                    pick(new String[] {"asset", "liability", "equity", "income", "expense"})),
        counts);
    insert(
        db,
        "ledger_2026",
        8000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("account", String.valueOf(1000 + r.nextInt(120) * 10))
                .append("debit", money(0, 9_000))
                .append("credit", money(0, 9_000))
                .append("memo", "Posting " + i)
                .append("postedAt", date(-330)),
        counts);
    insert(
        db,
        "budgets",
        60,
        i ->
            new Document("_id", new ObjectId())
                .append("department", DEPARTMENTS[i % DEPARTMENTS.length])
                .append("year", 2026)
                .append("quarter", 1 + i % 4)
                .append("amount", money(50_000, 500_000)),
        counts);
    // Contacts
    insert(
        db,
        "companies",
        customers,
        i ->
            new Document("_id", "C-" + i)
                .append(
                    "name", pick(LAST) + " " + pick(new String[] {"GmbH", "AG", "SARL", "S.p.A."}))
                .append("vatId", "DE" + (100_000_000 + r.nextInt(899_999_999)))
                .append("city", pick(CITIES)),
        counts);
    insert(
        db,
        "contacts",
        3000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("company", "C-" + r.nextInt(customers))
                .append("name", pick(FIRST) + " " + pick(LAST))
                .append("phone", "+49 30 " + (1_000_000 + r.nextInt(8_999_999)))
                .append("email", "c" + i + "@customer.example"),
        counts);
    insert(
        db,
        "leads",
        900 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("source", pick(new String[] {"web", "fair", "referral"}))
                .append("score", r.nextInt(100))
                .append("createdAt", date(-100)),
        counts);
    // Users
    insert(
        db,
        "roles",
        8,
        i ->
            new Document(
                    "_id",
                    List.of(
                            "root",
                            "super_admin",
                            "admin",
                            "manager",
                            "accountant",
                            "hr",
                            "employee",
                            "viewer")
                        .get(i))
                .append(
                    "permissions",
                    List.of("backup.read", i < 3 ? "backup.restore" : "report.read")),
        counts);
    insert(
        db,
        "permissions",
        64,
        i ->
            new Document("_id", "perm-" + i)
                .append(
                    "module",
                    pick(new String[] {"hr", "projects", "finance", "contacts", "users", "system"}))
                .append("action", pick(new String[] {"read", "write", "delete", "export"})),
        counts);
    insert(
        db,
        "users",
        2500 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("login", "user" + i)
                .append(
                    "passwordHash",
                    "$2b$12$" + Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong()))
                .append(
                    "role",
                    pick(
                        new String[] {
                          "employee", "employee", "manager", "accountant", "hr", "admin"
                        }))
                .append("lastLogin", date(-30)),
        counts);
    insert(
        db,
        "sessions",
        1500 * scale,
        i ->
            new Document("_id", Long.toHexString(r.nextLong()))
                .append("user", "user" + r.nextInt(2500 * scale))
                .append("expiresAt", date(1)),
        counts);
    // System
    insert(
        db,
        "settings",
        40,
        i ->
            new Document("_id", "setting." + i)
                .append("value", r.nextInt(1000))
                .append("updatedBy", "admin"),
        counts);
    insert(
        db,
        "audit_log",
        6000 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("at", date(-60))
                .append("user", "user" + r.nextInt(2500 * scale))
                .append(
                    "action", pick(new String[] {"login", "update", "export", "delete", "approve"}))
                .append("ip", "10.0." + r.nextInt(256) + "." + r.nextInt(256)),
        counts);
    insert(
        db,
        "notifications",
        1500 * scale,
        i ->
            new Document("_id", new ObjectId())
                .append("to", "user" + r.nextInt(2500 * scale))
                .append(
                    "text",
                    "Your request #"
                        + i
                        + " was "
                        + pick(new String[] {"approved", "rejected", "updated"}))
                .append("read", r.nextBoolean()),
        counts);
    insert(
        db,
        "backup_logs",
        30,
        i ->
            new Document("_id", new ObjectId())
                .append("at", date(-30))
                .append("type", "full")
                .append("status", "success"),
        counts);
    db.getCollection("employees")
        .createIndex(Indexes.ascending("employeeNo"), new IndexOptions().unique(true));
    db.getCollection("users")
        .createIndex(Indexes.ascending("login"), new IndexOptions().unique(true));
    db.getCollection("invoices")
        .createIndex(
            Indexes.compoundIndex(Indexes.ascending("customer"), Indexes.descending("issuedAt")));
    db.getCollection("sessions")
        .createIndex(
            Indexes.ascending("expiresAt"), new IndexOptions().expireAfter(0L, TimeUnit.SECONDS));
    return counts;
  }

  /**
   * Writes the uploads volume: signed contracts and scanned invoices (do not compress), project
   * specs (text).
   */
  long uploads(Path root) throws IOException {
    long bytes = 0;
    for (int i = 1; i <= 40; i++)
      bytes +=
          write(
              root.resolve("hr/contracts/contract-" + String.format("%04d", i) + ".pdf"),
              pdf(40_000 + r.nextInt(40_000)));
    for (int i = 1; i <= 60; i++)
      bytes +=
          write(
              root.resolve("finance/scans/INV-2026-" + String.format("%06d", i) + ".pdf"),
              pdf(20_000 + r.nextInt(20_000)));
    for (int i = 1; i <= 25; i++) {
      StringBuilder text = new StringBuilder("# Specification P-" + (2000 + i) + "\n\n");
      while (text.length() < 30_000)
        text.append("The system shall ")
            .append(pick(new String[] {"export", "import", "archive", "approve"}))
            .append(' ')
            .append(pick(DEPARTMENTS).toLowerCase())
            .append(" records within ")
            .append(1 + r.nextInt(10))
            .append(" seconds.\n");
      bytes +=
          write(
              root.resolve("projects/specs/P-" + (2000 + i) + ".md"),
              text.toString().getBytes(StandardCharsets.UTF_8));
    }
    Files.createDirectories(
        root.resolve("contacts/business-cards")); // empty for now; kept by the backup
    return bytes;
  }

  private byte[] pdf(int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    byte[] head = "%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, b, 0, head.length);
    return b;
  }

  private static long write(Path file, byte[] content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    return content.length;
  }

  private void insert(
      MongoDatabase db, String name, int n, IntFunction<Document> make, Map<String, Long> counts) {
    List<Document> batch = new ArrayList<>(1000);
    for (int i = 0; i < n; i++) {
      batch.add(make.apply(i));
      if (batch.size() == 1000) {
        db.getCollection(name).insertMany(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) db.getCollection(name).insertMany(batch);
    counts.put(name, (long) n);
  }

  private String pick(String[] values) {
    return values[r.nextInt(values.length)];
  }

  private Decimal128 money(int min, int max) {
    return new Decimal128(
        BigDecimal.valueOf(min * 100L + r.nextInt((max - min) * 100), 2)
            .setScale(2, RoundingMode.UNNECESSARY));
  }

  private Date date(int days) {
    long span = (long) days * 86_400_000L;
    return Date.from(
        base.plusMillis(
            span < 0 ? -(long) (r.nextDouble() * -span) : (long) (r.nextDouble() * span)));
  }
}
