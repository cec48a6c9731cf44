package dev.sekisho.alert.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.peers.PeerGuards;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.faulttolerance.api.Guard;

/** The resilience of alert-service's calls to its peers (the playbooks'), each from {@code sekisho.alert.playbooks.<peer>.*}. */
@ApplicationScoped
public class Guards {

    static final String RATELIMIT = "playbook-ratelimit";
    static final String AUTH = "playbook-auth";
    static final String SECRETS = "playbook-secrets";

    @Produces
    @Singleton
    @Identifier(RATELIMIT)
    Guard ratelimit(AlertSettings settings) {
        return PeerGuards.of(RATELIMIT, settings.playbooks().ratelimit());
    }

    @Produces
    @Singleton
    @Identifier(AUTH)
    Guard auth(AlertSettings settings) {
        return PeerGuards.of(AUTH, settings.playbooks().auth());
    }

    @Produces
    @Singleton
    @Identifier(SECRETS)
    Guard secrets(AlertSettings settings) {
        return PeerGuards.of(SECRETS, settings.playbooks().secrets());
    }
}
