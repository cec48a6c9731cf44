package dev.sekisho.alert.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.alert.repository.AlertEntity;
import dev.sekisho.alert.repository.NotificationStore;
import dev.sekisho.alert.routing.Routing;
import io.smallrye.mutiny.Uni;

/**
 * Where an alert's change goes, inside the transaction that changed it: the routes it matches, the group of each
 * (route and {@code group_by} labels) marked due (a new group after {@code group_wait}, an existing one at its next
 * {@code group_interval}), and the route's escalation started for a new alert or stopped for one acknowledged or
 * resolved. {@link Dispatch} sends what is due.
 */
@ApplicationScoped
public class Notifier {

    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Routes routes;

    @Inject
    NotificationStore store;

    /** The labels routes, silences and inhibitions match: the alert's own, its severity and rule id. */
    public static Map<String, String> matchLabels(String ruleId, String severity, Map<String, String> labels) {
        Map<String, String> all = new HashMap<>(labels);
        all.put("severity", severity);
        all.put("rule_id", ruleId);
        return all;
    }

    public Uni<Void> changed(AlertEntity alert, boolean opened) {
        Routing routing = routes.current();
        Map<String, String> labels = matchLabels(alert.ruleId, alert.severity, alert.labels);
        Instant now = Instant.now();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Routing.CompiledRoute route : routing.route(labels)) {
            Map<String, String> groupLabels = new TreeMap<>();
            for (String name : route.groupBy()) {
                if (labels.containsKey(name)) {
                    groupLabels.put(name, labels.get(name));
                }
            }
            String groupId = groupId(route, groupLabels);
            chain = chain.call(() -> store.upsertGroup(groupId, route.id(), route.receiver(), json(groupLabels), now.plus(route.groupWait()),
                    now, route.groupInterval())).call(() -> store.addMember(groupId, alert.id));
            Routing.Escalation escalation = routing.escalation(route.escalation());
            if (opened && escalation != null) {
                chain = chain.call(() -> store.startEscalation(alert.id, escalation.name(), now.plus(escalation.steps().get(0).delay())));
            }
        }
        if (!"firing".equals(alert.state)) {
            chain = chain.call(() -> store.stopEscalations(alert.id));
        }
        return chain;
    }

    static String groupId(Routing.CompiledRoute route, Map<String, String> groupLabels) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((route.id() + "\n" + route.receiver()).getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, String> e : groupLabels.entrySet()) {
                sha.update(("\n" + e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
