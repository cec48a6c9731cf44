package dev.sekisho.alert.routing;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One routing file as written (Alertmanager's shape: a route tree, receivers, inhibition rules; and escalation
 * policies, which Alertmanager leaves to an incident tool). Durations are Alertmanager's ({@code 30s}, {@code 5m},
 * {@code 4h}). Read strictly: an unknown key is an error at its line.
 */
public record RoutingFile(Route route, List<Receiver> receivers, @JsonProperty("inhibit_rules") List<InhibitRule> inhibitRules,
        List<EscalationPolicy> escalations) {

    public record Route(String receiver, @JsonProperty("group_by") List<String> groupBy, @JsonProperty("group_wait") String groupWait,
            @JsonProperty("group_interval") String groupInterval, @JsonProperty("repeat_interval") String repeatInterval,
            List<String> matchers, @JsonProperty("continue") Boolean continueMatching, List<Route> routes, String escalation) {
    }

    public record Receiver(String name, Webhook webhook, Chat chat, Email email, Log log) {
    }

    /**
     * A Standard Webhooks v1 endpoint: {@code secret_keys} name configuration keys (so environment variables) holding
     * {@code whsec_} secrets, each signing every message (several during a rotation); {@code format: alertmanager}
     * sends Alertmanager's webhook body (version 4) instead of Sekisho's.
     */
    public record Webhook(String url, @JsonProperty("secret_keys") List<String> secretKeys, String format,
            @JsonProperty("allowed_networks") List<String> allowedNetworks) {
    }

    /** A chat incoming webhook (Slack, Mattermost, Rocket.Chat: a JSON body with {@code text}). */
    public record Chat(String url, @JsonProperty("allowed_networks") List<String> allowedNetworks) {
    }

    public record Email(List<String> to) {
    }

    public record Log(String level) {
    }

    public record InhibitRule(@JsonProperty("source_matchers") List<String> sourceMatchers,
            @JsonProperty("target_matchers") List<String> targetMatchers, List<String> equal) {
    }

    /**
     * Steps notified in order while an alert stays firing (unacknowledged, unresolved), each {@code delay} after the
     * previous one; the whole round again {@code repeat_interval} after its last step, up to {@code repeat} rounds.
     */
    public record EscalationPolicy(String name, List<Step> steps, Integer repeat, @JsonProperty("repeat_interval") String repeatInterval) {
    }

    public record Step(String receiver, String delay) {
    }
}
