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
        return pass(older, "", 0, totals).chain(() -> transitPass(older, "", 0, totals)).chain(() -> tokenPass(older, "", totals))
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

    /**
     * One batch in one transaction, then the next after it, until a batch is not full. A row that does not open is left
     * as it is, counted and signalled.
     */
    private Uni<Void> pass(List<Integer> older, String afterPath, int afterVersion, int[] totals) {
        int batch = settings.rewrapBatch();
        return Panache.withTransaction(() -> store.wrappedBy(older, afterPath, afterVersion, batch).chain(rows -> {
            Uni<Void> signals = Uni.createFrom().voidItem();
            for (SecretVersionEntity row : rows) {
                try {
                    Envelope.Sealed rewrapped = envelope.rewrap(row.path, row.version,
                            new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion));
                    row.wrappedKey = rewrapped.wrappedKey();
                    row.masterVersion = rewrapped.masterVersion();
                    totals[0]++;
                } catch (Envelope.TamperedException | Envelope.UnknownMasterKeyException e) {
                    totals[1]++;
                    signals = signals.chain(() -> events.signal("secret.tampered", Severity.SEVERITY_CRITICAL,
                            "A stored data key failed its integrity check during rewrap", Map.of("path", row.path)));
                }
            }
            return signals.replaceWith(rows);
        })).chain(rows -> rows.size() < batch ? Uni.createFrom().voidItem()
                : pass(older, rows.get(rows.size() - 1).path, rows.get(rows.size() - 1).version, totals));
    }

    /** Transit key versions: the material is re-wrapped, the key stays what it is (every ciphertext still opens). */
    private Uni<Void> transitPass(List<Integer> older, String afterName, int afterVersion, int[] totals) {
        int batch = settings.rewrapBatch();
        return Panache.withTransaction(() -> transit.wrappedBy(older, afterName, afterVersion, batch).chain(rows -> {
            Uni<Void> signals = Uni.createFrom().voidItem();
            for (TransitKeyVersionEntity row : rows) {
                try {
                    Envelope.Wrapped wrapped = envelope.rewrapKey(Envelope.Domain.TRANSIT, row.name, row.version,
                            new Envelope.Wrapped(row.wrappedKey, row.masterVersion));
                    row.wrappedKey = wrapped.wrappedKey();
                    row.masterVersion = wrapped.masterVersion();
                    totals[0]++;
                } catch (Envelope.TamperedException | Envelope.UnknownMasterKeyException e) {
                    totals[1]++;
                    signals = signals.chain(() -> events.signal("secret.tampered", Severity.SEVERITY_CRITICAL,
                            "A transit key version failed its integrity check during rewrap", Map.of("key", row.name)));
                }
            }
            return signals.replaceWith(rows);
        })).chain(rows -> rows.size() < batch ? Uni.createFrom().voidItem()
                : transitPass(older, rows.get(rows.size() - 1).name, rows.get(rows.size() - 1).version, totals));
    }

    private Uni<Void> tokenPass(List<Integer> older, String afterToken, int[] totals) {
        int batch = settings.rewrapBatch();
        return Panache.withTransaction(() -> tokens.wrappedBy(older, afterToken, batch).chain(rows -> {
            Uni<Void> signals = Uni.createFrom().voidItem();
            for (TokenEntity row : rows) {
                try {
                    Envelope.Sealed rewrapped = envelope.rewrap(Envelope.Domain.TOKEN, row.namespace + "/" + row.token, 1,
                            new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion));
                    row.wrappedKey = rewrapped.wrappedKey();
                    row.masterVersion = rewrapped.masterVersion();
                    totals[0]++;
                } catch (Envelope.TamperedException | Envelope.UnknownMasterKeyException e) {
                    totals[1]++;
                    signals = signals.chain(() -> events.signal("secret.tampered", Severity.SEVERITY_CRITICAL,
                            "A stored token's data key failed its integrity check during rewrap", Map.of("namespace", row.namespace)));
                }
            }
            return signals.replaceWith(rows);
        })).chain(rows -> rows.size() < batch ? Uni.createFrom().voidItem() : tokenPass(older, rows.get(rows.size() - 1).token, totals));
    }
}
