package io.coffer.cli;

import io.coffer.protocol.Request;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** TLS to MongoDB with a private CA or a client certificate: every command that opens MongoDB. */
public final class MongoTlsOptions {
  @Option(
      names = "--mongodb-ca-file",
      paramLabel = "FILE",
      description =
          "PEM CA certificates that signed MongoDB's TLS certificate (a private CA, e.g. cert-manager's ca.crt); turns TLS on. The driver ignores tlsCAFile in the URI: use this.")
  Path caFile;

  @Option(
      names = "--mongodb-client-cert-file",
      paramLabel = "FILE",
      description =
          "PEM client certificate for a server that requires one (and for authMechanism=MONGODB-X509), with its key in the same file (as mongod's tlsCertificateKeyFile) or in --mongodb-client-key-file; turns TLS on.")
  Path certFile;

  @Option(
      names = "--mongodb-client-key-file",
      paramLabel = "FILE",
      description =
          "PEM private key of --mongodb-client-cert-file (PKCS#8, RSA or EC; unencrypted), e.g. a TLS Secret's tls.key.")
  Path keyFile;

  /** The files as a request names them; null when none is given. */
  Request.MongoTls tls() {
    if (caFile == null && certFile == null && keyFile == null) return null;
    return new Request.MongoTls(string(caFile), string(certFile), string(keyFile));
  }

  private static String string(Path p) {
    return p == null ? null : p.toString();
  }
}
