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

    @Inject
    public CheckpointSigner(AuditSettings settings) {
        try {
            KeyPair pair = loadOrCreate(Path.of(settings.signingKeyFile()));
            this.privateKey = pair.getPrivate();
            this.publicKey = pair.getPublic();
            this.keyId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded()), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the audit signing key", e);
        }
    }

    public static byte[] message(long seq, byte[] hash, Instant signedAt) {
        return ByteBuffer.allocate(8 + hash.length + 8).putLong(seq).put(hash).putLong(HashChain.micros(signedAt)).array();
    }

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

    /** The private key in PKCS#8 ({@code file}) and the public key in X.509 ({@code file.pub}). */
    private static KeyPair loadOrCreate(Path file) throws GeneralSecurityException {
        Path publicFile = file.resolveSibling(file.getFileName() + ".pub");
        try {
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            if (Files.exists(file) && Files.exists(publicFile)) {
                return new KeyPair(factory.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(publicFile))),
                        factory.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(file))));
            }
            if (Files.exists(file)) {
                throw new GeneralSecurityException(file + " exists without " + publicFile);
            }
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.write(publicFile, pair.getPublic().getEncoded());
            Files.write(file, pair.getPrivate().getEncoded());
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // best effort on file systems without POSIX permissions
            }
            LOG.infof("created a new audit signing key in %s", file.toAbsolutePath());
            return pair;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }
}
