package dev.sekisho.secrets.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.repository.SecretStore;
import dev.sekisho.secrets.repository.SecretVersionEntity;
import dev.sekisho.secrets.repository.TokenEntity;
import dev.sekisho.secrets.repository.TokenStore;
import dev.sekisho.secrets.repository.TransitKeyVersionEntity;
import dev.sekisho.secrets.repository.TransitStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * The master-key ring in use: which version wraps how many data keys, whether a version may leave the ring, and the
 * rewrap job that moves every data key to the current version (values untouched), in batches, on a schedule and on
 * demand.
 */
@ApplicationScoped
public class Keyring {

    public record MasterVersion(int version, boolean configured, boolean current, long dataKeys, boolean removable) {
    }

    public record Status(int current, List<MasterVersion> versions) {
    }

    public record Rewrapped(int rewrapped, int damaged, Status status) {
    }

    private static final Logger LOG = Logger.getLogger(Keyring.class);

    @Inject
    SecretStore store;

    @Inject
    TransitStore transit;

    @Inject
    TokenStore tokens;

    @Inject
    TransitKeys transitKeys;

    @Inject
    Envelope envelope;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    public Uni<Status> status() {
        return Panache.withSession(() -> store.keysByMasterVersion().chain(secrets -> transit.keysByMasterVersion().chain(keys -> tokens
                .keysByMasterVersion().map(values -> List.of(secrets, keys, values))))).map(all -> {
            Map<Integer, Long> used = new TreeMap<>();
            all.forEach(rows -> rows.forEach(row -> used.merge(((Number) row[0]).intValue(), ((Number) row[1]).longValue(), Long::sum)));
            TreeSet<Integer> versions = new TreeSet<>(envelope.ring().versions());
            versions.addAll(used.keySet());
            int current = envelope.ring().currentVersion();
            List<MasterVersion> list = new ArrayList<>();
            for (int version : versions) {
                long keys = used.getOrDefault(version, 0L);
                boolean configured = envelope.ring().versions().contains(version);
                list.add(new MasterVersion(version, configured, version == current, keys, configured && version != current && keys == 0));
            }
            return new Status(current, List.copyOf(list));
        });
    }

    /** Re-wraps every data key that an older configured master version wraps; a version left with none is named in the log. */
    public Uni<Rewrapped> rewrap(Who who) {
        List<Integer> older = envelope.ring().versions().stream().filter(v -> v != envelope.ring().currentVersion()).toList();
        if (older.isEmpty()) {
            return status().map(s -> new Rewrapped(0, 0, s));
        }
        int[] totals = new int[2];
        return pass(secretVersions(older), null, totals).chain(() -> pass(transitVersions(older), null, totals))
                .chain(() -> pass(tokenValues(older), null, totals))
                .invoke(() -> transitKeys.forgetAll()).chain(() -> status()).call(s -> {
            s.versions().stream().filter(MasterVersion::removable)
                    .forEach(v -> LOG.infof("master key version %d wraps no data key any more: it may leave the ring", v.version()));
            return events.audit("secret.keyring.rewrap", who, "keyring", "master-keys", Outcome.OUTCOME_SUCCESS, "",
                    Map.of("rewrapped", String.valueOf(totals[0]), "damaged", String.valueOf(totals[1]),
                            "current", String.valueOf(s.current())));
        }).map(s -> new Rewrapped(totals[0], totals[1], s));
    }

    @Scheduled(every = "${sekisho.secrets.rewrap-interval}", delayed = "${sekisho.secrets.rewrap-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return rewrap(Who.client("secrets-service", "", "")).replaceWithVoid()
                .onFailure().invoke(e -> LOG.warnf("rewrap did not finish, the next run continues: %s", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** What the rewrap walks through: rows wrapped by an older master version, after the last one done. */
    private interface Wrapped<T> {
        /** The next batch after {@code last} (null: from the start), locked for the rewrap. */
        Uni<List<T>> after(T last, int batch);

        /** Re-wraps the row's key in place. */
        void rewrap(T row) throws Envelope.TamperedException, Envelope.UnknownMasterKeyException;

        /** The signal's summary and labels for a row that does not open. */
        String damaged();

        Map<String, String> labels(T row);
    }

    /** Secret versions: the data key is re-wrapped, the sealed value untouched. */
    private Wrapped<SecretVersionEntity> secretVersions(List<Integer> older) {
        return new Wrapped<>() {
            public Uni<List<SecretVersionEntity>> after(SecretVersionEntity last, int batch) {
                return store.wrappedBy(older, last == null ? "" : last.path, last == null ? 0 : last.version, batch);
            }

            public void rewrap(SecretVersionEntity row) throws Envelope.TamperedException, Envelope.UnknownMasterKeyException {
                Envelope.Sealed rewrapped = envelope.rewrap(row.path, row.version,
                        new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion));
                row.wrappedKey = rewrapped.wrappedKey();
                row.masterVersion = rewrapped.masterVersion();
            }

            public String damaged() {
                return "A stored data key failed its integrity check during rewrap";
            }

            public Map<String, String> labels(SecretVersionEntity row) {
                return Map.of("path", row.path);
            }
        };
    }

    /** Transit key versions: the material is re-wrapped, the key stays what it is (every ciphertext still opens). */
    private Wrapped<TransitKeyVersionEntity> transitVersions(List<Integer> older) {
        return new Wrapped<>() {
            public Uni<List<TransitKeyVersionEntity>> after(TransitKeyVersionEntity last, int batch) {
                return transit.wrappedBy(older, last == null ? "" : last.name, last == null ? 0 : last.version, batch);
            }

            public void rewrap(TransitKeyVersionEntity row) throws Envelope.TamperedException, Envelope.UnknownMasterKeyException {
                Envelope.Wrapped wrapped = envelope.rewrapKey(Envelope.Domain.TRANSIT, row.name, row.version,
                        new Envelope.Wrapped(row.wrappedKey, row.masterVersion));
                row.wrappedKey = wrapped.wrappedKey();
                row.masterVersion = wrapped.masterVersion();
            }

            public String damaged() {
                return "A transit key version failed its integrity check during rewrap";
            }

            public Map<String, String> labels(TransitKeyVersionEntity row) {
                return Map.of("key", row.name);
            }
        };
    }

    /** Tokens: the value's data key is re-wrapped. */
    private Wrapped<TokenEntity> tokenValues(List<Integer> older) {
        return new Wrapped<>() {
            public Uni<List<TokenEntity>> after(TokenEntity last, int batch) {
                return tokens.wrappedBy(older, last == null ? "" : last.token, batch);
            }

            public void rewrap(TokenEntity row) throws Envelope.TamperedException, Envelope.UnknownMasterKeyException {
                Envelope.Sealed rewrapped = envelope.rewrap(Envelope.Domain.TOKEN, row.namespace + "/" + row.token, 1,
                        new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion));
                row.wrappedKey = rewrapped.wrappedKey();
                row.masterVersion = rewrapped.masterVersion();
            }

            public String damaged() {
                return "A stored token's data key failed its integrity check during rewrap";
            }

            public Map<String, String> labels(TokenEntity row) {
                return Map.of("namespace", row.namespace);
            }
        };
    }

    /**
     * One batch in one transaction, then the next after it, until a batch is not full. A row that does not open is left
     * as it is, counted and signalled.
     */
    private <T> Uni<Void> pass(Wrapped<T> kind, T after, int[] totals) {
        int batch = settings.rewrapBatch();
        return Panache.withTransaction(() -> kind.after(after, batch).chain(rows -> {
            Uni<Void> signals = Uni.createFrom().voidItem();
            for (T row : rows) {
                try {
                    kind.rewrap(row);
                    totals[0]++;
                } catch (Envelope.TamperedException | Envelope.UnknownMasterKeyException e) {
                    totals[1]++;
                    signals = signals.chain(() -> events.signal("secret.tampered", Severity.SEVERITY_CRITICAL, kind.damaged(),
                            kind.labels(row)));
                }
            }
            return signals.replaceWith(rows);
        })).chain(rows -> rows.size() < batch ? Uni.createFrom().voidItem() : pass(kind, rows.get(rows.size() - 1), totals));
    }
}
