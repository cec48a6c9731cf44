package dev.sekisho.alert.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sekisho.alert.client.WebhookClient;
import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.repository.AlertEntity;
import dev.sekisho.alert.repository.AlertStore;
import dev.sekisho.alert.repository.NotificationStore;
import dev.sekisho.alert.routing.Matcher;
import dev.sekisho.alert.routing.Routing;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Sends what is due, every {@code sekisho.alert.notify-interval} and right after a firing: groups past their wait or
 * interval become one notification each (their firing alerts that no silence or inhibition holds, and those resolved
 * since the last one; again after {@code repeat_interval} if nothing changed); escalation steps that are due become a
 * notification to the step's receiver while the alert is still firing; then notifications are delivered with retries
 * (exponential backoff, full jitter), {@code 410 Gone} disabling the receiver. Every step is claimed in PostgreSQL, so
 * several instances share the work and a restart neither loses nor repeats a delivered notification.
 */
@ApplicationScoped
public class Dispatch {

    private static final Logger LOG = Logger.getLogger(Dispatch.class);
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CLAIM = Duration.ofSeconds(60);

    @Inject
    NotificationStore store;

    @Inject
    AlertStore alerts;

    @Inject
    Routes routes;

    @Inject
    Silences silences;

    @Inject
    WebhookClient webhooks;

    @Inject
    AlertSettings settings;

    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();

    @Scheduled(every = "${sekisho.alert.notify-interval}", delayed = "${sekisho.alert.notify-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> scheduled() {
        return pass();
    }

    @Inject
    io.vertx.core.Vertx vertx;

    /**
     * Runs a pass now (after a firing), or right after the one running; on a context of its own, so that it shares no
     * database session with the caller's.
     */
    public void kick() {
        dev.sekisho.persistence.FreshSession.run(vertx, this::pass).subscribe()
                .with(ignored -> { }, failure -> LOG.warnf("notification pass failed: %s", failure.getClass().getSimpleName()));
    }

    Uni<Void> pass() {
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return Uni.createFrom().voidItem();
        }
        again.set(false);
        return flushGroups().call(this::escalate).call(this::deliver)
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("notification pass stopped: %s", failure.getClass().getSimpleName());
                    return null;
                })
                .eventually(() -> {
                    running.set(false);
                    if (again.getAndSet(false)) {
                        kick();
                    }
                }).replaceWithVoid();
    }

    // ---- groups

    Uni<Void> flushGroups() {
        Instant now = Instant.now();
        Routing routing = routes.current();
        return Panache.withTransaction(() -> silences.active().flatMap(active -> inhibitors(routing).flatMap(sources ->
                store.dueGroups(now, 50).flatMap(groups -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (NotificationStore.Group group : groups) {
                        chain = chain.call(() -> flush(routing, group, active, sources, now));
                    }
                    return chain;
                }))));
    }

    private Uni<List<Map<String, String>>> inhibitors(Routing routing) {
        if (routing.inhibitions().isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return alerts.list("firing", null, null, null, null, 1000).flatMap(firing -> alerts.list("acknowledged", null, null, null, null, 1000)
                .map(acked -> {
                    List<Map<String, String>> labels = new ArrayList<>();
                    firing.forEach(a -> labels.add(Notifier.matchLabels(a.ruleId, a.severity, a.labels)));
                    acked.forEach(a -> labels.add(Notifier.matchLabels(a.ruleId, a.severity, a.labels)));
                    return labels;
                }));
    }

    static boolean inhibited(Routing routing, List<Map<String, String>> sources, Map<String, String> target) {
        for (Routing.Inhibition rule : routing.inhibitions()) {
            if (!Matcher.all(rule.target(), target)) {
                continue;
            }
            for (Map<String, String> source : sources) {
                if (source.equals(target) || !Matcher.all(rule.source(), source)) {
                    continue;
                }
                boolean equal = true;
                for (String label : rule.equal()) {
                    equal &= source.getOrDefault(label, "").equals(target.getOrDefault(label, ""));
                }
                if (equal) {
                    return true;
                }
            }
        }
        return false;
    }

    private Uni<Void> flush(Routing routing, NotificationStore.Group group, List<Silences.Silence> active,
            List<Map<String, String>> sources, Instant now) {
        Routing.CompiledRoute route = routing.routeById(group.routeId());
        return store.members(group.id()).flatMap(members -> {
            List<NotificationStore.Member> firing = new ArrayList<>();
            List<NotificationStore.Member> resolved = new ArrayList<>();
            boolean[] held = new boolean[1];
            for (NotificationStore.Member m : members) {
                Map<String, String> labels = Notifier.matchLabels(m.ruleId(), m.severity(), AlertStore.labels(m.labels()));
                boolean quiet = Silences.silenced(active, labels) || inhibited(routing, sources, labels);
                if (m.state().equals("resolved")) {
                    if (m.notifiedState() != null && !m.notifiedState().equals("resolved")) {
                        resolved.add(m);
                    }
                } else if (quiet) {
                    held[0] = true;
                } else {
                    firing.add(m);
                }
            }
            StringBuilder content = new StringBuilder();
            firing.forEach(m -> content.append(m.fingerprint()).append(":firing;"));
            resolved.forEach(m -> content.append(m.fingerprint()).append(":resolved;"));
            String hash = Integer.toHexString(content.toString().hashCode()) + ":" + content.length();
            boolean changed = !hash.equals(group.lastSentHash()) && !(firing.isEmpty() && resolved.isEmpty());
            boolean repeat = !firing.isEmpty() && group.lastSentAt() != null && !group.lastSentAt().plus(route.repeatInterval()).isAfter(now);
            boolean send = changed || repeat;
            // firing alerts are looked at again for the repeat; held ones (silenced, inhibited) at each interval, so that an
            // expired silence or a resolved inhibitor lets them through
            Instant next = firing.isEmpty() ? null : (send ? now : group.lastSentAt()).plus(route.repeatInterval());
            if (held[0]) {
                Instant recheck = now.plus(route.groupInterval());
                next = next == null || recheck.isBefore(next) ? recheck : next;
            }
            Instant nextFlush = next;
            Uni<Void> chain = Uni.createFrom().voidItem();
            // resolved members never sent as firing are simply forgotten
            for (NotificationStore.Member m : members) {
                if (m.state().equals("resolved") && m.notifiedState() == null) {
                    chain = chain.call(() -> store.forgetResolved(group.id(), m.alertId()));
                }
            }
            if (send) {
                String payload = groupPayload(group, firing, resolved, now);
                chain = chain.call(() -> store.enqueue(UUID.randomUUID(), group.receiver(), "group", payload));
                for (NotificationStore.Member m : firing) {
                    chain = chain.call(() -> store.notified(group.id(), m.alertId(), "firing"));
                }
                for (NotificationStore.Member m : resolved) {
                    chain = chain.call(() -> store.notified(group.id(), m.alertId(), "resolved"));
                }
            }
            return chain.call(() -> store.flushed(group.id(), now, nextFlush, send ? now : null, send ? hash : null));
        });
    }

    private static String groupPayload(NotificationStore.Group group, List<NotificationStore.Member> firing,
            List<NotificationStore.Member> resolved, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        root.put("type", "sekisho.alert.group");
        root.put("timestamp", now.toString());
        ObjectNode data = root.putObject("data");
        data.put("receiver", group.receiver());
        data.put("status", firing.isEmpty() ? "resolved" : "firing");
        data.put("groupKey", group.id());
        data.set("groupLabels", read(group.groupLabels()));
        ArrayNode list = data.putArray("alerts");
        firing.forEach(m -> list.add(alert(m, "firing")));
        resolved.forEach(m -> list.add(alert(m, "resolved")));
        return root.toString();
    }

    private static ObjectNode alert(NotificationStore.Member m, String status) {
        ObjectNode a = JSON.createObjectNode();
        a.put("id", m.alertId().toString());
        a.put("fingerprint", m.fingerprint());
        a.put("status", status);
        a.put("state", m.state());
        a.put("rule", m.ruleId());
        a.put("title", m.title());
        a.put("severity", m.severity());
        a.set("labels", read(m.labels()));
        a.put("firstFiredAt", m.firstFiredAt().toString());
        a.put("lastFiredAt", m.lastFiredAt().toString());
        if (m.resolvedAt() != null) {
            a.put("resolvedAt", m.resolvedAt().toString());
        }
        a.put("occurrences", m.occurrences());
        a.put("url", "/v1/alerts/" + m.alertId());
        return a;
    }

    // ---- escalations

    Uni<Void> escalate() {
        Instant now = Instant.now();
        Routing routing = routes.current();
        return Panache.withTransaction(() -> silences.active().flatMap(active -> store.dueEscalations(now, 50).flatMap(due -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (NotificationStore.DueEscalation e : due) {
                chain = chain.call(() -> step(routing, e, active, now));
            }
            return chain;
        })));
    }

    private Uni<Void> step(Routing routing, NotificationStore.DueEscalation e, List<Silences.Silence> active, Instant now) {
        Routing.Escalation policy = routing.escalation(e.policy());
        if (policy == null || !e.state().equals("firing") || e.step() >= policy.steps().size()) {
            return store.endEscalation(e.alertId(), e.policy()).replaceWithVoid();
        }
        return alerts.find(e.alertId()).flatMap(alert -> {
            Uni<Void> notify = Uni.createFrom().voidItem();
            if (!Silences.silenced(active, Notifier.matchLabels(alert.ruleId, alert.severity, alert.labels))) {
                String payload = escalationPayload(alert, policy, e.step(), e.round(), now);
                notify = store.enqueue(UUID.randomUUID(), policy.steps().get(e.step()).receiver(), "escalation", payload).replaceWithVoid();
            }
            int nextStep = e.step() + 1;
            int round = e.round();
            Instant due;
            if (nextStep < policy.steps().size()) {
                due = now.plus(policy.steps().get(nextStep).delay());
            } else if (round + 1 < policy.repeat()) {
                nextStep = 0;
                round++;
                due = now.plus(policy.repeatInterval());
            } else {
                return notify.call(() -> store.endEscalation(e.alertId(), e.policy()));
            }
            int s = nextStep;
            int r = round;
            return notify.call(() -> store.advanceEscalation(e.alertId(), e.policy(), s, r, due));
        });
    }

    private static String escalationPayload(AlertEntity alert, Routing.Escalation policy, int step, int round, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        root.put("type", "sekisho.alert.escalation");
        root.put("timestamp", now.toString());
        ObjectNode data = root.putObject("data");
        data.put("receiver", policy.steps().get(step).receiver());
        data.put("status", "firing");
        data.put("policy", policy.name());
        data.put("step", step + 1);
        data.put("round", round + 1);
        data.put("groupKey", "escalation:" + alert.id);
        data.putObject("groupLabels").put("rule", alert.labels.getOrDefault("rule", alert.ruleId));
        ArrayNode list = data.putArray("alerts");
        list.add(alert(new NotificationStore.Member(alert.id, alert.fingerprint, alert.state, alert.ruleId, alert.title, alert.severity,
                Notifier.json(alert.labels), alert.firstFiredAt, alert.lastFiredAt, alert.occurrences, null, alert.resolvedAt), "firing"));
        return root.toString();
    }

    // ---- delivery

    /** What one delivery attempt (or refusal) came to, recorded after the sends of a pass. */
    record Outcome(NotificationStore.Pending pending, String status, boolean attempted, Integer httpStatus, Instant next, String error,
            boolean disable) {
    }

    /**
     * Claims due notifications, sends them side by side (no database session is held while an endpoint answers), then
     * records every outcome in one transaction.
     */
    Uni<Void> deliver() {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> store.claim(now, CLAIM, 20).flatMap(claimed -> claimed.isEmpty()
                ? Uni.createFrom().item(new Claimed(claimed, List.<String>of()))
                : store.disabledReceivers().map(disabled -> new Claimed(claimed, disabled))))
                .flatMap(claimed -> {
                    if (claimed.pending().isEmpty()) {
                        return Uni.createFrom().voidItem();
                    }
                    List<Uni<Outcome>> sends = new ArrayList<>();
                    for (NotificationStore.Pending p : claimed.pending()) {
                        sends.add(send(p, claimed.disabled().contains(p.receiver())).onFailure().recoverWithItem(failure -> {
                            LOG.warnf("notification %d not sent: %s", p.id(), failure.getClass().getSimpleName());
                            return new Outcome(p, "pending", false, null, Instant.now().plus(backoff(p.attempts() + 1)), "not sent", false);
                        }));
                    }
                    return Uni.join().all(sends).andFailFast().flatMap(this::record);
                });
    }

    record Claimed(List<NotificationStore.Pending> pending, List<String> disabled) {
    }

    private Uni<Outcome> send(NotificationStore.Pending p, boolean disabled) {
        Routing.ReceiverSpec spec = routes.current().receiver(p.receiver());
        if (spec == null) {
            return done(new Outcome(p, "failed", false, null, null, "the receiver is no longer in the routing files", false));
        }
        if (disabled) {
            return done(new Outcome(p, "gone", false, null, null, "the receiver is disabled (it answered 410 Gone)", false));
        }
        return switch (spec.kind()) {
            case LOG -> {
                logNotification(spec, p);
                yield done(new Outcome(p, "delivered", true, null, null, null, false));
            }
            case WEBHOOK, CHAT -> post(spec, p);
            case EMAIL -> mail(spec, p);
        };
    }

    @Inject
    io.quarkus.mailer.reactive.ReactiveMailer mailer;

    /** An e-mail per notification (SMTP through Quarkus' mailer): a subject that says what fires, one line per alert. */
    private Uni<Outcome> mail(Routing.ReceiverSpec spec, NotificationStore.Pending p) {
        JsonNode data = read(p.payload()).path("data");
        List<String> lines = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        for (JsonNode a : data.path("alerts")) {
            titles.add(a.path("title").asText());
            lines.add(a.path("status").asText() + "  " + a.path("severity").asText() + "  " + a.path("title").asText() + "  "
                    + a.path("labels").toString() + "  " + a.path("url").asText());
        }
        String subject = "[" + data.path("status").asText().toUpperCase(java.util.Locale.ROOT) + "] " + titles.size() + " alert(s): "
                + String.join(", ", titles.stream().distinct().limit(3).toList());
        io.quarkus.mailer.Mail mail = io.quarkus.mailer.Mail.withText(spec.to().get(0), subject, String.join("\n", lines)
                + "\n\nnotification " + p.webhookId() + "\n");
        spec.to().stream().skip(1).forEach(mail::addTo);
        mail.addHeader("X-Sekisho-Notification", p.webhookId().toString());
        return mailer.send(mail).replaceWith(new Outcome(p, "delivered", true, null, null, null, false))
                .ifNoItem().after(settings.webhookTimeout()).fail()
                .onFailure().recoverWithItem(failure -> {
                    int attempts = p.attempts() + 1;
                    String error = "the mail server did not take it: " + failure.getClass().getSimpleName();
                    return attempts >= settings.maxAttempts() ? new Outcome(p, "failed", true, null, null, error, false)
                            : new Outcome(p, "pending", true, null, Instant.now().plus(backoff(attempts)), error, false);
                });
    }

    private Uni<Outcome> post(Routing.ReceiverSpec spec, NotificationStore.Pending p) {
        List<byte[]> secrets = new ArrayList<>();
        for (String key : spec.secretKeys()) {
            var value = ConfigProvider.getConfig().getOptionalValue(key, String.class);
            if (value.isEmpty()) {
                return done(new Outcome(p, "failed", false, null, null, "secret " + key + " is not configured", false));
            }
            try {
                secrets.add(WebhookClient.secretBytes(value.get()));
            } catch (IllegalArgumentException e) {
                return done(new Outcome(p, "failed", false, null, null, "secret " + key + " is not a whsec_ base64 secret", false));
            }
        }
        String body = switch (spec.format()) {
            case "alertmanager" -> alertmanager(p.payload());
            case "chat" -> chat(p.payload());
            default -> p.payload();
        };
        return webhooks.post(spec.url(), spec.allowedNetworks(), p.webhookId().toString(), secrets, body).map(result -> {
            if (result.delivered()) {
                return new Outcome(p, "delivered", true, result.status(), null, null, false);
            }
            if (result.refusal() != null) {
                return new Outcome(p, "refused", false, null, null, result.refusal(), false);
            }
            Integer status = result.status() > 0 ? result.status() : null;
            if (result.status() == 410) {
                return new Outcome(p, "gone", true, 410, null, "the receiver answered 410 Gone: it is disabled", true);
            }
            String error = status != null ? "answered " + status : "no answer: " + result.failure();
            int attempts = p.attempts() + 1;
            if (attempts >= settings.maxAttempts()) {
                return new Outcome(p, "failed", true, status, null, error, false);
            }
            return new Outcome(p, "pending", true, status, Instant.now().plus(backoff(attempts)), error, false);
        });
    }

    private Uni<Void> record(List<Outcome> outcomes) {
        return Panache.withTransaction(() -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Outcome o : outcomes) {
                if (o.disable()) {
                    chain = chain.call(() -> store.disableReceiver(o.pending().receiver(), "410 Gone"));
                }
                int attempts = o.pending().attempts() + (o.attempted() ? 1 : 0);
                chain = chain.call(() -> store.outcome(o.pending().id(), o.status(), attempts, o.next(), o.httpStatus(), o.error(),
                        o.status().equals("delivered") ? Instant.now() : null));
            }
            return chain;
        });
    }

    private static Uni<Outcome> done(Outcome outcome) {
        return Uni.createFrom().item(outcome);
    }

    /** Full jitter: a random delay up to base × 2^(attempt-1), capped. */
    Duration backoff(int attempt) {
        long cap = Math.min(settings.retryMaxDelay().toMillis(), settings.retryBaseDelay().toMillis() << Math.min(attempt - 1, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }

    private static void logNotification(Routing.ReceiverSpec spec, NotificationStore.Pending p) {
        JsonNode root = read(p.payload());
        String line = "alert notification to " + spec.name() + ": " + root.path("data").path("status").asText() + ", "
                + root.path("data").path("alerts").size() + " alert(s), " + summary(root);
        if ("warn".equals(spec.level())) {
            LOG.warn(line);
        } else {
            LOG.info(line);
        }
    }

    private static String summary(JsonNode root) {
        List<String> titles = new ArrayList<>();
        root.path("data").path("alerts").forEach(a -> titles.add(a.path("severity").asText() + " " + a.path("title").asText()));
        return String.join("; ", titles.subList(0, Math.min(5, titles.size())));
    }

    /** Alertmanager's webhook body (version 4), so that receivers written for Alertmanager work unchanged. */
    static String alertmanager(String payload) {
        JsonNode data = read(payload).path("data");
        ObjectNode out = JSON.createObjectNode();
        out.put("version", "4");
        out.put("groupKey", data.path("groupKey").asText());
        out.put("truncatedAlerts", 0);
        out.put("status", data.path("status").asText());
        out.put("receiver", data.path("receiver").asText());
        out.set("groupLabels", data.path("groupLabels"));
        Map<String, String> common = null;
        ArrayNode alerts = out.putArray("alerts");
        for (JsonNode a : data.path("alerts")) {
            Map<String, String> labels = new TreeMap<>(JSON.convertValue(a.path("labels"), new TypeReference<Map<String, String>>() {
            }));
            labels.put("alertname", a.path("title").asText());
            labels.put("severity", a.path("severity").asText());
            if (common == null) {
                common = new LinkedHashMap<>(labels);
            } else {
                common.entrySet().removeIf(e -> !e.getValue().equals(labels.get(e.getKey())));
            }
            ObjectNode am = alerts.addObject();
            am.put("status", a.path("status").asText());
            am.set("labels", JSON.valueToTree(labels));
            am.putObject("annotations").put("summary", a.path("title").asText());
            am.put("startsAt", a.path("firstFiredAt").asText());
            am.put("endsAt", a.hasNonNull("resolvedAt") ? a.path("resolvedAt").asText() : "0001-01-01T00:00:00Z");
            am.put("generatorURL", a.path("url").asText());
            am.put("fingerprint", a.path("fingerprint").asText());
        }
        out.set("commonLabels", JSON.valueToTree(common == null ? Map.of() : common));
        out.putObject("commonAnnotations");
        out.put("externalURL", "");
        return out.toString();
    }

    /** A chat incoming webhook's body: one line of text per alert. */
    static String chat(String payload) {
        JsonNode data = read(payload).path("data");
        StringBuilder text = new StringBuilder("[" + data.path("status").asText().toUpperCase(java.util.Locale.ROOT) + "] ");
        for (JsonNode a : data.path("alerts")) {
            text.append('\n').append(a.path("severity").asText()).append(": ").append(a.path("title").asText()).append(' ')
                    .append(a.path("labels").toString()).append(" (").append(a.path("status").asText()).append(')');
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("text", text.toString());
        return out.toString();
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }
}
