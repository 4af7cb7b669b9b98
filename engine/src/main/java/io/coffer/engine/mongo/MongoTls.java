package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.Field;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * TLS to MongoDB from PEM text: the CA certificates to trust (null: the JVM's) and a client
 * certificate with its key (null: none), as cert-manager, the MongoDB and Percona operators and
 * {@code mongod --tlsCertificateKeyFile} write them. Keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC);
 * encrypted keys are refused. Messages name the field and the defect, never the content.
 */
public final class MongoTls {
  /**
   * A PEM file larger than this is no CA bundle or client certificate (1 MiB: a Secret's limit).
   */
  public static final int MAX_PEM_BYTES = 1024 * 1024;

  /** One PEM block: its label ({@code CERTIFICATE}) and the text between its lines. */
  private record Block(String label, String body) {}

  private final SSLContext context;
  private final boolean clientCertificate;
  private final boolean privateCa;

  /**
   * Set when a server asked for a client certificate and none was given. Under TLS 1.3 the server's
   * refusal (alert certificate_required) comes after the client's handshake ends, and a client that
   * writes first often sees only a broken pipe or a reset; this says why.
   */
  private final AtomicBoolean asked;

  private MongoTls(
      SSLContext context, boolean clientCertificate, boolean privateCa, AtomicBoolean asked) {
    this.context = context;
    this.clientCertificate = clientCertificate;
    this.privateCa = privateCa;
    this.asked = asked;
  }

  /**
   * {@code caPem}: CA certificates (null: the JVM's trust store); {@code certPem}: the client's
   * certificate chain, with its key unless {@code keyPem} holds that; null: no client certificate.
   */
  public static MongoTls of(String caPem, String certPem, String keyPem) {
    try {
      TrustManager[] trust = null;
      if (caPem != null) {
        List<X509Certificate> cas = certificates(caPem, Field.MONGODB_CA_FILE);
        if (cas.isEmpty())
          throw CofferException.usage(
              Field.MONGODB_CA_FILE.mark()
                  + " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA that signed the server's certificate");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        for (int i = 0; i < cas.size(); i++) ks.setCertificateEntry("ca-" + i, cas.get(i));
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trust = tmf.getTrustManagers();
      }
      KeyManager[] keys = null;
      if (certPem != null) {
        List<X509Certificate> chain = certificates(certPem, Field.MONGODB_CERT_FILE);
        if (chain.isEmpty())
          throw CofferException.usage(
              Field.MONGODB_CERT_FILE.mark()
                  + " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the client certificate (tls.crt)");
        PrivateKey key =
            privateKey(
                keyPem != null ? keyPem : certPem,
                keyPem != null ? Field.MONGODB_KEY_FILE : Field.MONGODB_CERT_FILE);
        chain = leafFirst(chain, key);
        char[] none = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
        keys = kmf.getKeyManagers();
      } else if (keyPem != null) {
        throw CofferException.usage(
            Field.MONGODB_KEY_FILE.mark()
                + " is given without its certificate: give "
                + Field.MONGODB_CERT_FILE.mark()
                + " too");
      }
      SSLContext ssl = SSLContext.getInstance("TLS");
      AtomicBoolean asked = new AtomicBoolean();
      ssl.init(keys != null ? keys : new KeyManager[] {new NoCertificate(asked)}, trust, null);
      return new MongoTls(ssl, keys != null, trust != null, asked);
    } catch (IOException | GeneralSecurityException e) {
      // the JDK's message names a defect (an algorithm, a length), never key material
      throw CofferException.usage(
          "cannot use the MongoDB TLS files: "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : " " + e.getMessage().lines().findFirst().orElse(""))
              + "; give PEM certificates and an unencrypted PEM key");
    }
  }

  public SSLContext context() {
    return context;
  }

  /** A server asked this context for a client certificate, and it had none to give. */
  public boolean askedForMissingCertificate() {
    return !clientCertificate && asked.get();
  }

  /**
   * The key manager of a context without a client certificate: it has no key to offer (as the JDK's
   * own empty one), and it notes that a server asked.
   */
  private static final class NoCertificate extends X509ExtendedKeyManager {
    private final AtomicBoolean asked;

    NoCertificate(AtomicBoolean asked) {
      this.asked = asked;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      asked.set(true);
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      asked.set(true);
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }

  /** A client certificate is presented (MONGODB-X509 can authenticate with it). */
  public boolean hasClientCertificate() {
    return clientCertificate;
  }

  /** The server is checked against the given CA, not the JVM's trust store. */
  public boolean hasPrivateCa() {
    return privateCa;
  }

  /**
   * The chain with the certificate of {@code key} first (a bundle may list the CA before the leaf);
   * refused when no certificate in it belongs to the key.
   */
  private static List<X509Certificate> leafFirst(List<X509Certificate> chain, PrivateKey key) {
    for (X509Certificate c : chain) {
      if (matches(c, key)) {
        List<X509Certificate> out = new ArrayList<>(chain);
        out.remove(c);
        out.add(0, c);
        return out;
      }
    }
    throw CofferException.usage(
        "the client key ("
            + Field.MONGODB_KEY_FILE.mark()
            + ") does not belong to any certificate in "
            + Field.MONGODB_CERT_FILE.mark()
            + ": give the tls.crt and tls.key of one Secret");
  }

  /** Whether {@code key} signs what {@code c}'s public key verifies. */
  private static boolean matches(X509Certificate c, PrivateKey key) {
    String alg =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (alg == null) return true; // a kind this check cannot sign with: the handshake will tell
    try {
      byte[] probe =
          "coffer: does this key belong to this certificate".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(c.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static List<X509Certificate> certificates(String pem, Field field)
      throws CertificateException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (Block b : blocks(pem, field)) {
      if (!b.label().equals("CERTIFICATE") && !b.label().equals("TRUSTED CERTIFICATE")) continue;
      byte[] der = decode(b.body(), field);
      Collection<? extends Certificate> cs;
      try {
        cs = cf.generateCertificates(new ByteArrayInputStream(der));
      } catch (CertificateException e) {
        throw CofferException.usage(
            field.mark() + " holds a CERTIFICATE block that is not an X.509 certificate");
      }
      for (Certificate c : cs) out.add((X509Certificate) c);
    }
    return out;
  }

  private static PrivateKey privateKey(String pem, Field field) {
    for (Block b : blocks(pem, field)) {
      String type = b.label();
      if (!type.endsWith("PRIVATE KEY")) continue;
      if (type.equals("ENCRYPTED PRIVATE KEY") || b.body().contains("ENCRYPTED"))
        throw CofferException.usage(
            field.mark()
                + " holds an encrypted private key; give it unencrypted (as a Kubernetes TLS Secret holds it)");
      byte[] der = decode(b.body(), field);
      try {
        return switch (type) {
          case "PRIVATE KEY" -> pkcs8(der);
          case "RSA PRIVATE KEY" ->
              pkcs8(
                  new PrivateKeyInfo(
                          new AlgorithmIdentifier(
                              PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                          RSAPrivateKey.getInstance(der))
                      .getEncoded());
          case "EC PRIVATE KEY" -> {
            ECPrivateKey ec = ECPrivateKey.getInstance(der);
            if (ec.getParametersObject() == null)
              throw CofferException.usage(
                  field.mark() + " holds an EC PRIVATE KEY without its curve; give it as PKCS#8");
            yield pkcs8(
                new PrivateKeyInfo(
                        new AlgorithmIdentifier(
                            X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject()),
                        ec)
                    .getEncoded());
          }
          default ->
              throw CofferException.usage(
                  field.mark()
                      + " holds a key of an unknown kind ("
                      + type
                      + "); give a PKCS#8, RSA or EC private key in PEM");
        };
      } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
        throw CofferException.usage(
            field.mark() + " holds a " + type + " block that cannot be read as a private key");
      }
    }
    throw CofferException.usage(
        field.mark()
            + " holds no private key (-----BEGIN PRIVATE KEY-----); give the client certificate's key (tls.key)");
  }

  /**
   * The PEM blocks of a file, read line by line (a BEGIN line, then the END line of the same
   * label): linear in the file's size, whatever it holds.
   */
  private static List<Block> blocks(String pem, Field field) {
    if (pem.length() > MAX_PEM_BYTES)
      throw CofferException.usage(
          field.mark() + " is larger than 1 MiB: it is no PEM certificate or key file");
    List<Block> out = new ArrayList<>();
    String label = null;
    StringBuilder body = new StringBuilder();
    for (String raw : pem.split("\\r?\\n")) {
      String line = raw.strip();
      if (label == null) {
        if (line.startsWith("-----BEGIN ") && line.endsWith("-----") && line.length() > 16) {
          label = line.substring(11, line.length() - 5);
          body.setLength(0);
        }
      } else if (line.equals("-----END " + label + "-----")) {
        out.add(new Block(label, body.toString()));
        label = null;
      } else if (line.startsWith("-----")) {
        label = null; // a block without its end: passed over
      } else {
        body.append(line).append('\n');
      }
    }
    return out;
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    GeneralSecurityException last = null;
    for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  private static byte[] decode(String body, Field field) {
    String clean = body.lines().filter(l -> !l.contains(":")).reduce("", String::concat);
    try {
      return Base64.getMimeDecoder().decode(clean.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(field.mark() + " holds a PEM block that is not base64");
    }
  }
}
