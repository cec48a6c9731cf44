package dev.sekisho.secrets.repository;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** One version of a secret, sealed (nonce, ciphertext, wrapped data key, master version); all four null once destroyed. */
@Entity
@Table(name = "secret_version")
@IdClass(SecretVersionEntity.Key.class)
public class SecretVersionEntity {

    public static class Key implements Serializable {
        public String path;
        public int version;

        public Key() {
        }

        public Key(String path, int version) {
            this.path = path;
            this.version = version;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.version == version && Objects.equals(key.path, path);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, version);
        }
    }

    @Id
    public String path;

    @Id
    public int version;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    public byte[] nonce;

    public byte[] ciphertext;

    @Column(name = "wrapped_key")
    public byte[] wrappedKey;

    @Column(name = "master_version")
    public Integer masterVersion;

    @Column(name = "value_hmac")
    public String valueHmac;

    @Column(name = "deleted_at")
    public Instant deletedAt;

    @Column(name = "destroyed_at")
    public Instant destroyedAt;
}
