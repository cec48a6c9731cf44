package dev.sekisho.secrets.service;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.access.Capability;
import dev.sekisho.secrets.access.Resource;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.TransitCipher;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Transit: encryption as a service with named keys that never leave secrets-service. Every call checks the access
 * policy for its capability on the key; a batch is checked whole before any item is worked on (a bad item fails the
 * request, nothing is returned for the others). Decrypt and datakey, which hand out plaintext or key material, are
 * audited per call before the answer; encrypt, rewrap, hmac and verify in aggregate ({@link TransitUsage}).
 */
@ApplicationScoped
public class Transit {

    /** One plaintext (or HMAC input) with its derivation context (null: none). */
    public record Item(byte[] data, byte[] context) {
    }

    /** One ciphertext to open, with its context. */
    public record Sealed(String ciphertext, byte[] context) {
    }

    /** One HMAC to check. */
    public record Check(byte[] input, String hmac) {
    }

    public record DataKey(String ciphertext, byte[] plaintext, int keyVersion) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    TransitKeys keys;

    @Inject
    AccessGuard guard;

    @Inject
    TransitUsage usage;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    @Inject
    MeterRegistry meters;

    public Uni<List<String>> encrypt(Accessor who, String rawName, List<Item> items, int keyVersion) {
        return ready(who, rawName, "transit.encrypt", Capability.ENCRYPT, items.size()).chain(key -> {
            checkItems(key, items);
            TransitCipher cipher = key.forEncryption(keyVersion);
            List<String> out = new ArrayList<>(items.size());
            for (Item item : items) {
                out.add(cipher.encrypt(item.data(), context(key, item.context())));
            }
            usage.add(key.name(), "encrypt", who.who(), items.size());
            return Uni.createFrom().item(out);
        });
    }

    public Uni<List<byte[]>> decrypt(Accessor who, String rawName, List<Sealed> items) {
        return ready(who, rawName, "transit.decrypt", Capability.DECRYPT, items.size())
                .chain(cached -> keys.forVersion(cached, newestVersion(items.stream().map(Sealed::ciphertext).toList()))).chain(key -> {
            List<byte[]> out = new ArrayList<>(items.size());
            TreeSet<Integer> versions = new TreeSet<>();
            String failure = null;
            for (int i = 0; i < items.size() && failure == null; i++) {
                Sealed item = items.get(i);
                checkContext(key, item.context(), i);
                try {
                    TransitCipher.Parsed parsed = TransitCipher.parse(item.ciphertext());
                    versions.add(parsed.version());
                    out.add(key.forDecryption(parsed.version()).decrypt(parsed.bytes(), context(key, item.context())));
                } catch (TransitCipher.InvalidTextException e) {
                    throw ProblemException.badRequest(where(i, items) + e.getMessage());
                } catch (Envelope.TamperedException e) {
                    failure = where(i, items) + "the ciphertext does not open under this key (a different key or context, or altered).";
                }
            }
            if (failure != null) {
                String detail = failure;
                meters.counter("sekisho_transit_decrypt_failures_total").increment();
                return audited("transit.decrypt", who, key.name(), Outcome.OUTCOME_ERROR, "ciphertext does not open",
                        Map.of("items", String.valueOf(items.size())))
                        .chain(() -> Uni.createFrom().failure(ProblemException.badRequest(detail)));
            }
            return audited("transit.decrypt", who, key.name(), Outcome.OUTCOME_SUCCESS, "",
                    Map.of("items", String.valueOf(items.size()), "versions", versions.toString())).replaceWith(out);
        });
    }

    /** Decrypts and encrypts again under the latest version; the plaintext never leaves the service. */
    public Uni<List<String>> rewrap(Accessor who, String rawName, List<Sealed> items) {
        return ready(who, rawName, "transit.rewrap", Capability.REWRAP, items.size())
                .chain(cached -> keys.forVersion(cached, newestVersion(items.stream().map(Sealed::ciphertext).toList()))).chain(key -> {
            TransitCipher latest = key.forEncryption(0);
            List<String> out = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                Sealed item = items.get(i);
                checkContext(key, item.context(), i);
                try {
                    TransitCipher.Parsed parsed = TransitCipher.parse(item.ciphertext());
                    byte[] plaintext = key.forDecryption(parsed.version()).decrypt(parsed.bytes(), context(key, item.context()));
                    try {
                        out.add(latest.encrypt(plaintext, context(key, item.context())));
                    } finally {
                        Arrays.fill(plaintext, (byte) 0);
                    }
                } catch (TransitCipher.InvalidTextException e) {
                    throw ProblemException.badRequest(where(i, items) + e.getMessage());
                } catch (Envelope.TamperedException e) {
                    meters.counter("sekisho_transit_decrypt_failures_total").increment();
                    throw ProblemException.badRequest(where(i, items)
                            + "the ciphertext does not open under this key (a different key or context, or altered).");
                }
            }
            usage.add(key.name(), "rewrap", who.who(), items.size());
            return Uni.createFrom().item(out);
        });
    }

    /**
     * A fresh data key, encrypted by the key's latest version, and also in plaintext when asked ({@code plaintext}
     * false: wrapped only, for a caller that stores it and asks decrypt later). Audited per call.
     */
    public Uni<DataKey> dataKey(Accessor who, String rawName, boolean plaintext, int bits, byte[] context) {
        if (bits != 128 && bits != 256 && bits != 512) {
            return Uni.createFrom().failure(ProblemException.badRequest("bits must be 128, 256 or 512"));
        }
        return ready(who, rawName, "transit.datakey", Capability.DATAKEY, 1).chain(key -> {
            checkContext(key, context, 0);
            byte[] material = new byte[bits / 8];
            RANDOM.nextBytes(material);
            TransitCipher cipher = key.forEncryption(0);
            String ciphertext = cipher.encrypt(material, context(key, context));
            return audited("transit.datakey", who, key.name(), Outcome.OUTCOME_SUCCESS, "",
                    Map.of("mode", plaintext ? "plaintext" : "wrapped", "bits", String.valueOf(bits), "version",
                            String.valueOf(cipher.version())))
                    .map(ignored -> {
                        if (plaintext) {
                            return new DataKey(ciphertext, material, cipher.version());
                        }
                        Arrays.fill(material, (byte) 0);
                        return new DataKey(ciphertext, null, cipher.version());
                    });
        });
    }

    public Uni<List<String>> hmac(Accessor who, String rawName, List<byte[]> inputs, int keyVersion) {
        return ready(who, rawName, "transit.hmac", Capability.HMAC, inputs.size()).chain(key -> {
            inputs.forEach(input -> checkSize(input, inputs));
            TransitCipher cipher = key.forEncryption(keyVersion);
            List<String> out = inputs.stream().map(cipher::hmac).toList();
            usage.add(key.name(), "hmac", who.who(), inputs.size());
            return Uni.createFrom().item(out);
        });
    }

    public Uni<List<Boolean>> verify(Accessor who, String rawName, List<Check> checks) {
        return ready(who, rawName, "transit.verify", Capability.HMAC, checks.size())
                .chain(cached -> keys.forVersion(cached, newestVersion(checks.stream().map(Check::hmac).toList()))).chain(key -> {
            List<Boolean> out = new ArrayList<>(checks.size());
            for (int i = 0; i < checks.size(); i++) {
                Check check = checks.get(i);
                checkSize(check.input(), checks);
                try {
                    TransitCipher.Parsed parsed = TransitCipher.parse(check.hmac());
                    out.add(key.forDecryption(parsed.version()).verify(check.input(), parsed.bytes()));
                } catch (TransitCipher.InvalidTextException e) {
                    throw ProblemException.badRequest(where(i, checks) + e.getMessage().replace("ciphertext", "HMAC"));
                }
            }
            usage.add(key.name(), "verify", who.who(), checks.size());
            return Uni.createFrom().item(out);
        });
    }

    /** The key once the caller may use it this way and the batch is within bounds. */
    private Uni<TransitKeys.Loaded> ready(Accessor who, String rawName, String action, Capability capability, int items) {
        if (items < 1) {
            return Uni.createFrom().failure(ProblemException.badRequest("the request holds no item"));
        }
        if (items > settings.transit().maxBatch()) {
            return Uni.createFrom().failure(new ProblemException(ProblemType.PAYLOAD_TOO_LARGE,
                    "A batch holds at most " + settings.transit().maxBatch() + " items: nothing was done."));
        }
        return guard.check(who, Resource.TRANSIT, rawName, action, capability).chain(keys::forUse);
    }

    /**
     * The newest key version the items name (ciphertexts, or HMACs as text); 0 when none parses: each item's own error
     * comes later, with its position.
     */
    private static int newestVersion(List<String> texts) {
        int newest = 0;
        for (String text : texts) {
            try {
                newest = Math.max(newest, TransitCipher.parse(text).version());
            } catch (TransitCipher.InvalidTextException e) {
                // judged with its position when the items are opened
            }
        }
        return newest;
    }

    private Uni<Void> audited(String action, Accessor who, String key, Outcome outcome, String reason, Map<String, String> details) {
        return Panache.withTransaction(() -> events.audit(action, who.who(), "transit-key", key, outcome, reason, details));
    }

    private void checkItems(TransitKeys.Loaded key, List<Item> items) {
        for (int i = 0; i < items.size(); i++) {
            checkSize(items.get(i).data(), items);
            checkContext(key, items.get(i).context(), i);
        }
    }

    private void checkSize(byte[] data, List<?> items) {
        if (data == null) {
            throw ProblemException.badRequest("every item needs its data");
        }
        if (data.length > settings.transit().maxPlaintextBytes()) {
            throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE,
                    "An item is larger than " + settings.transit().maxPlaintextBytes() + " bytes: nothing was done.");
        }
    }

    private void checkContext(TransitKeys.Loaded key, byte[] context, int index) {
        if (key.derived() && (context == null || context.length == 0)) {
            throw ProblemException.badRequest("This key is derived: every item needs a context (item " + index + ").");
        }
        if (!key.derived() && context != null && context.length > 0) {
            throw ProblemException.badRequest("This key is not derived: an item may not carry a context (item " + index + ").");
        }
        if (context != null && context.length > settings.transit().maxContextBytes()) {
            throw ProblemException.badRequest("A context is at most " + settings.transit().maxContextBytes() + " bytes.");
        }
    }

    /** The context the cipher derives with: the caller's for a derived key, none otherwise (empty and absent are one). */
    private static byte[] context(TransitKeys.Loaded key, byte[] context) {
        return key.derived() ? context : null;
    }

    private static String where(int index, List<?> items) {
        return items.size() == 1 ? "" : "item " + index + ": ";
    }
}
