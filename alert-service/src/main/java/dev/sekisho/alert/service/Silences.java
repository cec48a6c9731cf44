package dev.sekisho.alert.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.alert.repository.NotificationStore;
import dev.sekisho.alert.routing.Matcher;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Silences: label matchers (Alertmanager's syntax) and an end; a silenced alert still fires and is recorded, but is not
 * notified or escalated while a silence matches it. Created and expired by operators and admins, audited.
 */
@ApplicationScoped
public class Silences {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration MAX = Duration.ofDays(90);

    @Inject
    NotificationStore store;

    @Inject
    SecurityEvents events;

    /** A silence as the API shows it, with its matchers parsed. */
    public record Silence(UUID id, List<String> matchers, Instant startsAt, Instant endsAt, String createdBy, String comment,
            List<Matcher> parsed) {

        public boolean matches(Map<String, String> labels) {
            return Matcher.all(parsed, labels);
        }
    }

    public Uni<Silence> create(List<String> matchers, Instant startsAt, Instant endsAt, String comment, Who who) {
        if (matchers == null || matchers.isEmpty() || matchers.size() > 16) {
            throw ProblemException.badRequest("a silence has 1 to 16 matchers such as rule=\"sekisho-auth-brute-force-user\"");
        }
        List<Matcher> parsed = new ArrayList<>();
        for (String text : matchers) {
            try {
                parsed.add(Matcher.parse(text == null ? "" : text));
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest("a matcher is label=\"value\" (or !=, =~, !~)");
            }
        }
        Instant now = Instant.now();
        Instant start = startsAt == null || startsAt.isBefore(now) ? now : startsAt;
        if (endsAt == null || !endsAt.isAfter(start) || endsAt.isAfter(now.plus(MAX))) {
            throw ProblemException.badRequest("endsAt is after the start and at most 90 days ahead");
        }
        String note = comment == null ? "" : comment;
        if (note.length() > 512 || note.chars().anyMatch(Character::isISOControl)) {
            throw ProblemException.badRequest("comment is at most 512 printable characters");
        }
        UUID id = UUID.randomUUID();
        List<String> canonical = parsed.stream().map(Matcher::toString).toList();
        return Panache.withTransaction(() -> store.addSilence(id, json(canonical), start, endsAt, who.id(), note)
                .call(() -> events.audit("alert.silence.created", who, "silence", id.toString(), Outcome.OUTCOME_SUCCESS, "",
                        Map.of("matchers", String.join(",", canonical), "ends_at", endsAt.toString()))))
                .replaceWith(new Silence(id, canonical, start, endsAt, who.id(), note, parsed));
    }

    public Uni<Void> expire(UUID id, Who who) {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> store.expireSilence(id, now, who.id()).flatMap(changed -> {
            if (changed == 0) {
                throw ProblemException.notFound("There is no such active silence.");
            }
            return events.audit("alert.silence.expired", who, "silence", id.toString(), Outcome.OUTCOME_SUCCESS, "", Map.of());
        }));
    }

    /** Silences active now (for the flush, which runs in its own transaction, and the API). */
    public Uni<List<Silence>> active() {
        return store.silences(Instant.now(), 1000).map(rows -> rows.stream().map(Silences::of).toList());
    }

    public Uni<List<Silence>> list(boolean activeOnly) {
        return Panache.withSession(() -> store.silences(activeOnly ? Instant.now() : null, 500)).map(rows -> rows.stream().map(Silences::of).toList());
    }

    static boolean silenced(List<Silence> silences, Map<String, String> labels) {
        for (Silence silence : silences) {
            if (silence.matches(labels)) {
                return true;
            }
        }
        return false;
    }

    private static Silence of(NotificationStore.SilenceRow row) {
        List<String> matchers;
        try {
            matchers = JSON.readValue(row.matchers(), new TypeReference<List<String>>() {
            });
        } catch (JsonProcessingException e) {
            matchers = List.of();
        }
        return new Silence(row.id(), matchers, row.startsAt(), row.endsAt(), row.createdBy(), row.comment(),
                matchers.stream().map(Matcher::parse).toList());
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
