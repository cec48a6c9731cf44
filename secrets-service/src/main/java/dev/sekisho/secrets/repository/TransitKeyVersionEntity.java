package dev.sekisho.secrets.repository;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** One version of a transit key: its material wrapped by a master-key version. */
@Entity
@Table(name = "transit_key_version")
@IdClass(TransitKeyVersionEntity.Key.class)
public class TransitKeyVersionEntity {

    public static class Key implements Serializable {
        public String name;
        public int version;

        public Key() {
        }

        public Key(String name, int version) {
            this.name = name;
            this.version = version;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.version == version && Objects.equals(key.name, name);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, version);
        }
    }

    @Id
    public String name;

    @Id
    public int version;

    @Column(name = "wrapped_key", nullable = false)
    public byte[] wrappedKey;

    @Column(name = "master_version", nullable = false)
    public int masterVersion;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
