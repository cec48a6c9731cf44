package dev.sekisho.audit.chain;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import dev.sekisho.audit.repository.AuditEventEntity;

/**
 * The audit log's hash chain: hash(n) = SHA-256(hash(n-1) || canonical(record n)). The canonical encoding is
 * every stored field in a fixed order, each length-prefixed, attributes sorted by key, times in microseconds,
 * so any change to any field, or to the order of records, changes the hash.
 */
public final class HashChain {

    public static final byte[] GENESIS = new byte[32];

    private HashChain() {
    }

    public static byte[] hash(byte[] previous, AuditEventEntity e) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(previous);
            sha.update(canonical(e));
            return sha.digest();
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    static byte[] canonical(AuditEventEntity e) {
        Encoder out = new Encoder();
        out.number(e.seq);
        out.text(e.eventId.toString());
        out.number(micros(e.occurredAt));
        out.number(micros(e.recordedAt));
        out.text(e.actorType).text(e.actorId).text(e.actorIp).text(e.actorUserAgent).text(e.actorClientId);
        out.text(e.action).text(e.resourceType).text(e.resourceId).text(e.outcome).text(e.reason);
        out.text(e.service).text(e.traceId);
        Map<String, String> sorted = new TreeMap<>(e.attributes == null ? Map.of() : e.attributes);
        out.number(sorted.size());
        sorted.forEach((k, v) -> out.text(k).text(v));
        return out.bytes();
    }

    public static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    private static final class Encoder {
        private ByteBuffer buffer = ByteBuffer.allocate(512);

        Encoder text(String value) {
            byte[] bytes = (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
            ensure(4 + bytes.length);
            buffer.putInt(bytes.length).put(bytes);
            return this;
        }

        Encoder number(long value) {
            ensure(8);
            buffer.putLong(value);
            return this;
        }

        private void ensure(int more) {
            if (buffer.remaining() < more) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + more));
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
        }

        byte[] bytes() {
            byte[] out = new byte[buffer.position()];
            buffer.flip();
            buffer.get(out);
            return out;
        }
    }
}
