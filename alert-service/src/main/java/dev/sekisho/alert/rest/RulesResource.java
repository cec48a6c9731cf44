package dev.sekisho.alert.rest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.sekisho.alert.detection.Correlation;
import dev.sekisho.alert.detection.Rule;
import dev.sekisho.alert.detection.RuleCompiler;
import dev.sekisho.alert.detection.RuleSet;
import dev.sekisho.alert.service.Detections;
import dev.sekisho.common.policy.InvalidPolicyException;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;

/**
 * The detection rules in force (and the last refused reload), and a check of a rule file before it is deployed: the
 * same compiler, the same errors with line and reason, nothing loaded.
 */
@Path("/v1/rules")
@Produces(MediaType.APPLICATION_JSON)
public class RulesResource {

    static final int MAX_VALIDATE_CHARS = 256 * 1024;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RuleView(String id, String name, String title, String level, String type, String service, List<String> rules,
            List<String> groupBy, String timespan, Long threshold, String field, boolean generatesAlerts, String file) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Listing(List<RuleView> rules, Instant loadedAt, int files, String rejected) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Validation(boolean valid, Integer rules, Integer line, String error) {
    }

    @Inject
    Detections detections;

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Listing list() {
        var status = detections.status();
        return new Listing(views(detections.current()), status.loadedAt(), status.files(), status.rejection());
    }

    @POST
    @Path("/validate")
    @Consumes({"application/yaml", "application/x-yaml", MediaType.TEXT_PLAIN})
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Validation validate(String yaml) {
        if (yaml == null || yaml.isBlank()) {
            throw ProblemException.badRequest("send the rule file's YAML as the body");
        }
        if (yaml.length() > MAX_VALIDATE_CHARS) {
            throw ProblemException.badRequest("a rule file to validate is at most 256 KiB");
        }
        try {
            RuleSet set = RuleCompiler.compile("request", yaml);
            return new Validation(true, set.size(), null, null);
        } catch (InvalidPolicyException e) {
            String reason = e.getMessage().substring(e.getMessage().indexOf(": ") + 2);
            return new Validation(false, null, e.line() > 0 ? e.line() : null, reason);
        }
    }

    private static List<RuleView> views(RuleSet set) {
        List<RuleView> views = new ArrayList<>();
        for (Rule r : set.rules()) {
            views.add(new RuleView(r.id(), r.name(), r.title(), r.severity(), "rule", r.service(), null, r.fields().isEmpty() ? null : r.fields(),
                    null, null, null, r.generate(), r.file()));
        }
        for (Correlation c : set.correlations()) {
            views.add(new RuleView(c.id(), c.name(), c.title(), c.severity(), c.type().sigma, null, c.rules(), c.groupBy(),
                    c.timespan().toString(), c.threshold(), c.field(), c.generate(), c.file()));
        }
        return views;
    }
}
