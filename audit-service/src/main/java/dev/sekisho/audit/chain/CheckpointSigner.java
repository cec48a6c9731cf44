package dev.sekisho.audit.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.HexFormat;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.config.AuditSettings;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Signs checkpoints with Ed25519 (JCA). The private key lives in a file outside the database, so whoever can
 * rewrite the tables still cannot forge checkpoints; the public key is published for offline verification.
 * The signed message is {@code seq (8 bytes) || hash (32 bytes) || signed_at in microseconds (8 bytes)}.
 */
@ApplicationScoped
public class CheckpointSigner {

    private static final Logger LOG = Logger.getLogger(CheckpointSigner.class);

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String keyId;

    private final Path file;
    private final boolean generated;

    /**
     * Loads the key, or makes a new one in memory only ({@link #generated}): it is written to its file by
     * {@link #persist} once the log is known to be empty, so a lost key is never silently replaced.
     */
    @Inject
    public CheckpointSigner(AuditSettings settings) {
        try {
            this.file = Path.of(settings.signingKeyFile());
            KeyPair loaded = load(file);
            KeyPair pair = loaded != null ? loaded : KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            this.generated = loaded == null;
            this.privateKey = pair.getPrivate();
            this.publicKey = pair.getPublic();
            this.keyId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded()), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the audit signing key", e);
        }
        settings.signingPublicKey().filter(pinned -> !pinned.isBlank()).ifPresent(pinned -> {
            if (!java.util.Arrays.equals(java.util.Base64.getDecoder().decode(pinned.strip()), publicKey.getEncoded())) {
                throw new IllegalStateException("the audit signing key in " + file + " is not the pinned one"
                        + " (sekisho.audit.signing-public-key): audit-service refuses to sign with another key");
            }
        });
    }

    /** True when no key file existed and this start made a new key (not yet written). */
    public boolean generated() {
        return generated;
    }

    /** Writes a generated key to its files: the private key (owner-only) and the public key. */
    public void persist() {
        Path publicFile = file.resolveSibling(file.getFileName() + ".pub");
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.write(publicFile, publicKey.getEncoded());
            Files.write(file, privateKey.getEncoded());
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // best effort on file systems without POSIX permissions
            }
            LOG.infof("created a new audit signing key in %s", file.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public Path file() {
        return file;
    }

    public static byte[] message(long seq, byte[] hash, Instant signedAt) {
        return ByteBuffer.allocate(8 + hash.length + 8).putLong(seq).put(hash).putLong(HashChain.micros(signedAt)).array();
    }

    @WithSpan("audit checkpoint sign")
    public byte[] sign(long seq, byte[] hash, Instant signedAt) {
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(privateKey);
            signer.update(message(seq, hash, signedAt));
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean verify(long seq, byte[] hash, Instant signedAt, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(publicKey);
            verifier.update(message(seq, hash, signedAt));
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public String keyId() {
        return keyId;
    }

    /** X.509 SubjectPublicKeyInfo, the form `openssl pkey -pubin` and JCA read. */
    public byte[] publicKeyEncoded() {
        return publicKey.getEncoded();
    }

    /** The private key in PKCS#8 ({@code file}) and the public key in X.509 ({@code file.pub}); null when neither exists. */
    private static KeyPair load(Path file) throws GeneralSecurityException {
        Path publicFile = file.resolveSibling(file.getFileName() + ".pub");
        try {
            if (!Files.exists(file)) {
                if (Files.exists(publicFile)) {
                    throw new GeneralSecurityException(publicFile + " exists without its private key " + file);
                }
                return null;
            }
            if (!Files.exists(publicFile)) {
                throw new GeneralSecurityException(file + " exists without " + publicFile);
            }
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            return new KeyPair(factory.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(publicFile))),
                    factory.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(file))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
