package dev.sekisho.secrets.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.repository.IntegrationApprovalEntity;
import dev.sekisho.secrets.repository.IntegrationEntity;
import dev.sekisho.secrets.repository.IntegrationStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * The integration registry: which integration exists, who owns it and in which department, why, which data classes it
 * handles and where it sends them, and where it stands. An integration is proposed, approved by an approver who is not
 * its requester (two different approvers when it handles a sensitive data class), activated by its owner, suspended
 * and resumed by approvers, and retired. Every step is taken under the integration's row lock, audited in its
 * transaction and signalled; a step out of order is a 409 and changes nothing.
 */
@ApplicationScoped
public class Integrations {

    /** Where an integration stands. */
    public enum State {
        PROPOSED, APPROVED, ACTIVE, SUSPENDED, RETIRED;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static State of(String text) {
            return valueOf(text.toUpperCase(java.util.Locale.ROOT));
        }
    }

    public record NewIntegration(String name, String owner, String department, String purpose, List<String> dataClasses,
            List<String> destinations, List<String> serviceClients) {

        public NewIntegration(String name, String owner, String department, String purpose, List<String> dataClasses,
                List<String> destinations) {
            this(name, owner, department, purpose, dataClasses, destinations, List.of());
        }
    }

    /** Whether a Keycloak client is a live integration's service client, and that integration's id and state. */
    public record Standing(boolean governed, String integrationId, String state) {
    }

    public record Approval(String approver, Instant approvedAt, String note) {
    }

    public record View(String id, String name, String owner, String department, String purpose, List<String> dataClasses,
            List<String> destinations, List<String> serviceClients, String state, String stateReason, String suspendedFor,
            int approvalsRequired, List<Approval> approvals, String requestedBy, Instant createdAt, Instant updatedAt) {
    }

    /** Why an integration was suspended without a person deciding it. */
    public static final String OWNER_LEFT = "owner_left";
    public static final String REVIEW_UNCONFIRMED = "review_unconfirmed";

    /** A credential an integration uses: an API key, its state and its last use. */
    public record Credential(String type, String id, String name, String state, Instant lastUsedAt) {
    }

    /** One integration's flow: which data classes go to which destinations, through which credentials. */
    public record Flow(String integrationId, String name, String owner, String department, String state, List<String> dataClasses,
            List<String> destinations, List<Credential> credentials) {
    }

    /** The data-flow view: every live integration's flow, and per data class, the destinations and the integrations that send it there. */
    public record Flows(Instant generatedAt, List<Flow> flows, Map<String, Map<String, List<String>>> byDataClass) {
    }

    public static final int MAX_LIST = 500;
    static final int MAX_FLOWS = 1000;
    static final int MAX_NAME = 64;
    private static final Pattern ID = Pattern.compile("[a-z2-7]{16}");
    private static final Pattern HOST = Pattern.compile(
            "(?=.{1,253}(:|$))[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?");
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    private static final Pattern CLIENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    static final int MAX_CLIENTS = 8;

    @Inject
    IntegrationStore store;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    @Inject
    UsageTracker usage;

    private Pattern namingRule;
    private Set<String> dataClasses;
    private Set<String> sensitive;

    @PostConstruct
    void init() {
        try {
            namingRule = Pattern.compile(settings.integrations().namingRule());
        } catch (PatternSyntaxException e) {
            throw new IllegalStateException("sekisho.secrets.integrations.naming-rule is not a regular expression: " + e.getDescription());
        }
        dataClasses = Set.copyOf(settings.integrations().dataClasses());
        sensitive = Set.copyOf(settings.integrations().sensitiveDataClasses());
        if (!dataClasses.containsAll(sensitive)) {
            throw new IllegalStateException("sekisho.secrets.integrations.sensitive-data-classes names classes that "
                    + "sekisho.secrets.integrations.data-classes does not have");
        }
    }

    public Uni<View> propose(Accessor who, NewIntegration request) {
        validate(request);
        List<String> clients = request.serviceClients() == null ? List.of() : List.copyOf(new java.util.TreeSet<>(request.serviceClients()));
        return Panache.withTransaction(() -> store.nameTaken(request.name()).chain(taken -> clientsTaken(clients).map(clientTaken -> {
            if (taken) {
                throw new ProblemException(ProblemType.CONFLICT, "An integration of this name exists (retire it to free the name).");
            }
            if (clientTaken) {
                throw new ProblemException(ProblemType.CONFLICT, "A service client belongs to one live integration at a time.");
            }
            return true;
        })).chain(ok -> {
            Instant now = Instant.now();
            IntegrationEntity row = new IntegrationEntity();
            row.id = ApiKeys.randomId();
            row.name = request.name();
            row.owner = request.owner() == null || request.owner().isBlank() ? who.name() : request.owner();
            row.department = request.department().strip();
            row.purpose = request.purpose().strip();
            row.dataClasses = List.copyOf(new java.util.TreeSet<>(request.dataClasses()));
            row.destinations = List.copyOf(request.destinations());
            row.serviceClients = clients;
            row.state = State.PROPOSED.text();
            row.approvalsRequired = row.dataClasses.stream().anyMatch(sensitive::contains) ? 2 : 1;
            row.requestedBy = who.name();
            row.createdAt = now;
            row.updatedAt = now;
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("name", row.name);
            attributes.put("owner", row.owner);
            attributes.put("department", row.department);
            attributes.put("data_classes", String.join(",", row.dataClasses));
            attributes.put("destinations", String.join(",", row.destinations));
            attributes.put("service_clients", String.join(",", row.serviceClients));
            attributes.put("approvals_required", String.valueOf(row.approvalsRequired));
            return store.add(row)
                    .chain(() -> events.audit("integration.proposed", who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS, "", attributes))
                    .chain(() -> signal("integration.proposed", Severity.SEVERITY_INFO, "An integration was proposed", row))
                    .replaceWith(() -> view(row, List.of()));
        }));
    }

    /**
     * One approver's approval. Refused (403, nothing changed) to the requester and to anyone without the approver role,
     * and (409) to an approver who already approved or for an integration not waiting for approval. The last approval
     * required makes it approved.
     */
    public Uni<View> approve(Accessor who, String id, String note) {
        String why = note(note);
        if (!who.roles().contains(Permissions.APPROVER)) {
            return Uni.createFrom().failure(new ProblemException(ProblemType.FORBIDDEN, "Approving needs the approver role."));
        }
        return Panache.withTransaction(() -> locked(id).chain(row -> store.approvals(row.id).chain(approvals -> {
            requireState(row, State.PROPOSED, "approved");
            if (row.requestedBy.equals(who.name())) {
                throw new ProblemException(ProblemType.FORBIDDEN, "An integration is approved by someone other than its requester.");
            }
            if (approvals.stream().anyMatch(a -> a.approver.equals(who.name()))) {
                throw new ProblemException(ProblemType.CONFLICT, "This approver has approved it already; it needs another approver.");
            }
            IntegrationApprovalEntity approval = new IntegrationApprovalEntity();
            approval.integrationId = row.id;
            approval.approver = who.name();
            approval.approvedAt = Instant.now();
            approval.note = why;
            List<IntegrationApprovalEntity> all = new ArrayList<>(approvals);
            all.add(approval);
            boolean complete = all.size() >= row.approvalsRequired;
            Map<String, String> attributes = Map.of("approvals", String.valueOf(all.size()), "approvals_required",
                    String.valueOf(row.approvalsRequired));
            Uni<Void> recorded = store.add(approval)
                    .chain(() -> events.audit("integration.approval", who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS, why, attributes));
            if (complete) {
                row.state = State.APPROVED.text();
                row.updatedAt = approval.approvedAt;
                recorded = recorded.chain(() -> events.audit("integration.approved", who.who(), "integration", row.id,
                        Outcome.OUTCOME_SUCCESS, "", attributes))
                        .chain(() -> signal("integration.approved", Severity.SEVERITY_INFO, "An integration was approved", row));
            }
            return recorded.replaceWith(() -> view(row, all));
        })));
    }

    /** Approved to active: its owner (or an admin) puts it to use. */
    public Uni<View> activate(Accessor who, String id) {
        return transition(who, id, State.APPROVED, State.ACTIVE, "", row -> {
            if (!row.owner.equals(who.name()) && !who.roles().contains(Permissions.ADMIN)) {
                throw new ProblemException(ProblemType.FORBIDDEN, "An integration is activated by its owner or an admin.");
            }
        }, "integration.activated", Severity.SEVERITY_INFO, "An integration was activated");
    }

    /** Approved or active to suspended (approvers, admins): its credentials stop working. */
    public Uni<View> suspend(Accessor who, String id, String reason) {
        requireAny(who, "Suspending needs the approver or admin role.", Permissions.APPROVER, Permissions.ADMIN);
        return transition(who, id, null, State.SUSPENDED, reason(reason), row -> requireState(row, Set.of(State.APPROVED, State.ACTIVE), "suspended"),
                "integration.suspended", Severity.SEVERITY_WARNING, "An integration was suspended");
    }

    /** Suspended to active again (approvers). */
    public Uni<View> resume(Accessor who, String id, String reason) {
        requireAny(who, "Resuming needs the approver role.", Permissions.APPROVER);
        return transition(who, id, State.SUSPENDED, State.ACTIVE, reason(reason), row -> { },
                "integration.resumed", Severity.SEVERITY_INFO, "An integration was resumed");
    }

    /** Any state but retired to retired, for good (its owner or an admin); its name is free again. */
    public Uni<View> retire(Accessor who, String id, String reason) {
        return transition(who, id, null, State.RETIRED, reason(reason), row -> {
            if (State.of(row.state) == State.RETIRED) {
                throw new ProblemException(ProblemType.CONFLICT, "This integration is retired already.");
            }
            if (!row.owner.equals(who.name()) && !who.roles().contains(Permissions.ADMIN)) {
                throw new ProblemException(ProblemType.FORBIDDEN, "An integration is retired by its owner or an admin.");
            }
        }, "integration.retired", Severity.SEVERITY_INFO, "An integration was retired");
    }

    /**
     * A new owner (approvers, admins): the integration's accountability moves to another person. An integration
     * suspended because its owner left is active again under its new owner; one suspended by a person stays suspended.
     */
    public Uni<View> assignOwner(Accessor who, String id, String owner, String reason) {
        requireAny(who, "Assigning an owner needs the approver or admin role.", Permissions.APPROVER, Permissions.ADMIN);
        String why = reason(reason);
        if (owner == null || !OWNER.matcher(owner).matches()) {
            return Uni.createFrom().failure(ProblemException.badRequest("owner is a username: 1 to 128 letters, digits, '.', '_', '@' or '-'"));
        }
        return Panache.withTransaction(() -> locked(id).chain(row -> {
            if (State.of(row.state) == State.RETIRED) {
                throw new ProblemException(ProblemType.CONFLICT, "A retired integration keeps the owner it had.");
            }
            if (row.owner.equals(owner)) {
                throw new ProblemException(ProblemType.CONFLICT, "This integration has this owner already.");
            }
            String previous = row.owner;
            row.owner = owner;
            row.updatedAt = Instant.now();
            boolean resumes = State.of(row.state) == State.SUSPENDED && OWNER_LEFT.equals(row.suspendedFor);
            Uni<Void> done = events.audit("integration.owner.changed", who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS, why,
                    Map.of("from", previous, "to", owner, "name", row.name))
                    .chain(() -> signal("integration.owner.changed", Severity.SEVERITY_INFO, "An integration has a new owner", row));
            if (resumes) {
                row.state = State.ACTIVE.text();
                row.stateReason = "";
                row.suspendedFor = "";
                done = done.chain(() -> events.audit("integration.resumed", who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS,
                        "a new owner was assigned", Map.of("from", State.SUSPENDED.text(), "name", row.name)))
                        .chain(() -> signal("integration.resumed", Severity.SEVERITY_INFO, "An integration was resumed", row));
            }
            return done.chain(() -> store.approvals(row.id)).map(approvals -> view(row, approvals));
        }));
    }

    /**
     * A leaver: every approved or active integration this user owns is suspended ({@code owner_left}) until a new
     * owner is assigned. Services only (auth-service, when Keycloak says the user was disabled); idempotent.
     */
    public Uni<List<String>> suspendOwnedBy(Accessor who, String owner, String reason) {
        String why = reason(reason);
        if (owner == null || !OWNER.matcher(owner).matches()) {
            return Uni.createFrom().failure(ProblemException.badRequest("owner is a username: 1 to 128 letters, digits, '.', '_', '@' or '-'"));
        }
        return Panache.withTransaction(() -> store.lockLiveOwnedBy(owner).chain(rows -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (IntegrationEntity row : rows) {
                all = all.chain(() -> suspendLocked(who, row, OWNER_LEFT, why.isEmpty() ? "its owner left" : why));
            }
            return all.replaceWith(() -> rows.stream().map(r -> r.id).toList());
        }));
    }

    /**
     * Suspends an integration nobody decided to suspend (its owner left, its review went unconfirmed), in the caller's
     * transaction, on a row the caller has locked; approved or active ones only.
     */
    Uni<Void> suspendLocked(Accessor who, IntegrationEntity row, String cause, String reason) {
        if (!Set.of(State.APPROVED, State.ACTIVE).contains(State.of(row.state))) {
            return Uni.createFrom().voidItem();
        }
        String was = row.state;
        row.state = State.SUSPENDED.text();
        row.stateReason = reason;
        row.suspendedFor = cause;
        row.updatedAt = Instant.now();
        return events.audit("integration.suspended", who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS, reason,
                Map.of("from", was, "name", row.name, "cause", cause))
                .chain(() -> events.signal("integration.suspended", Severity.SEVERITY_WARNING, "An integration was suspended: " + cause,
                        Map.of("integration", row.id, "name", row.name, "owner", row.owner, "department", row.department, "cause", cause)));
    }

    public Uni<View> get(String id) {
        return Panache.withSession(() -> store.find(checkedId(id)).chain(row -> {
            if (row == null) {
                throw ProblemException.notFound("There is no integration with this id.");
            }
            return store.approvals(row.id).map(approvals -> view(row, approvals));
        }));
    }

    public Uni<List<View>> list(String state, String owner, String after, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            return Uni.createFrom().failure(ProblemException.badRequest("limit must be between 1 and " + MAX_LIST));
        }
        if (state != null) {
            try {
                State.of(state);
            } catch (IllegalArgumentException e) {
                return Uni.createFrom().failure(ProblemException.badRequest("state is one of proposed, approved, active, suspended, retired"));
            }
        }
        if (owner != null && owner.length() > 128) {
            return Uni.createFrom().failure(ProblemException.badRequest("owner is at most 128 characters"));
        }
        return Panache.withSession(() -> store.page(state, owner, after, limit))
                .map(rows -> rows.stream().map(row -> view(row, List.of())).toList());
    }

    /**
     * Which data classes go to which destinations through which integrations, with each credential's last use (usage
     * written first, as for the stale report). At most 1000 integrations. The read is audited.
     */
    public Uni<Flows> flows(Accessor who) {
        return usage.flush().chain(() -> Panache.withSession(() -> store.live(MAX_FLOWS).chain(rows -> store.keysOf(rows.stream()
                .map(r -> r.id).toList()).map(keys -> {
            Instant now = Instant.now();
            List<Flow> flows = new ArrayList<>();
            Map<String, Map<String, List<String>>> byClass = new java.util.TreeMap<>();
            for (IntegrationEntity row : rows) {
                List<Credential> credentials = new ArrayList<>(keys.stream().filter(k -> row.id.equals(k.integrationId))
                        .map(k -> new Credential("api-key", k.id, k.name, ApiKeys.state(k, now), k.lastUsedAt)).toList());
                for (String client : row.serviceClients) {
                    credentials.add(new Credential("service-client", client, client, usable(row.state) ? "active" : "refused", null));
                }
                flows.add(new Flow(row.id, row.name, row.owner, row.department, row.state, row.dataClasses, row.destinations, credentials));
                for (String dataClass : row.dataClasses) {
                    for (String destination : row.destinations) {
                        byClass.computeIfAbsent(dataClass, c -> new java.util.TreeMap<>())
                                .computeIfAbsent(destination, d -> new ArrayList<>()).add(row.name);
                    }
                }
            }
            return new Flows(now, List.copyOf(flows), byClass);
        })))).call(f -> Panache.withTransaction(() -> events.audit("integration.flows.read", who.who(), "report", "flows",
                Outcome.OUTCOME_SUCCESS, "", Map.of("integrations", String.valueOf(f.flows().size())))));
    }

    /**
     * The gateway's question for a machine token: is its client an integration's, and may it be used now (approved or
     * active)? A client no live integration names is not governed here.
     */
    public Uni<Standing> standing(String clientId) {
        if (clientId == null || !CLIENT.matcher(clientId).matches()) {
            return Uni.createFrom().item(new Standing(false, "", ""));
        }
        return Panache.withSession(() -> store.liveWithClient(clientId)).map(rows -> rows.isEmpty() ? new Standing(false, "", "")
                : new Standing(true, rows.get(0).id, rows.get(0).state));
    }

    /** Whether credentials of an integration in this state may be used. */
    static boolean usable(String state) {
        return state.equals(State.APPROVED.text()) || state.equals(State.ACTIVE.text());
    }

    private Uni<Boolean> clientsTaken(List<String> clients) {
        Uni<Boolean> taken = Uni.createFrom().item(false);
        for (String client : clients) {
            taken = taken.chain(before -> before ? Uni.createFrom().item(true) : store.liveWithClient(client).map(rows -> !rows.isEmpty()));
        }
        return taken;
    }

    private Uni<View> transition(Accessor who, String id, State from, State to, String reason,
            java.util.function.Consumer<IntegrationEntity> check, String action, Severity severity, String summary) {
        return Panache.withTransaction(() -> locked(id).chain(row -> {
            if (from != null) {
                requireState(row, from, to.text());
            }
            check.accept(row);
            String was = row.state;
            row.state = to.text();
            row.stateReason = reason;
            row.suspendedFor = "";
            row.updatedAt = Instant.now();
            return events.audit(action, who.who(), "integration", row.id, Outcome.OUTCOME_SUCCESS, reason, Map.of("from", was, "name", row.name))
                    .chain(() -> signal(action, severity, summary, row))
                    .chain(() -> store.approvals(row.id)).map(approvals -> view(row, approvals));
        }));
    }

    private Uni<IntegrationEntity> locked(String id) {
        return store.lock(checkedId(id)).map(row -> {
            if (row == null) {
                throw ProblemException.notFound("There is no integration with this id.");
            }
            return row;
        });
    }

    private Uni<Void> signal(String kind, Severity severity, String summary, IntegrationEntity row) {
        return events.signal(kind, severity, summary, Map.of("integration", row.id, "name", row.name, "owner", row.owner,
                "department", row.department));
    }

    private static void requireState(IntegrationEntity row, State wanted, String becoming) {
        requireState(row, Set.of(wanted), becoming);
    }

    private static void requireState(IntegrationEntity row, Set<State> wanted, String becoming) {
        if (!wanted.contains(State.of(row.state))) {
            throw new ProblemException(ProblemType.CONFLICT, "An integration that is " + row.state + " cannot be " + becoming + ".");
        }
    }

    private static void requireAny(Accessor who, String detail, String... roles) {
        for (String role : roles) {
            if (who.roles().contains(role)) {
                return;
            }
        }
        throw new ProblemException(ProblemType.FORBIDDEN, detail);
    }

    private void validate(NewIntegration r) {
        if (r.name() == null || r.name().length() > MAX_NAME || !namingRule.matcher(r.name()).matches()) {
            throw ProblemException.badRequest("name does not follow the naming rule (sekisho.secrets.integrations.naming-rule, "
                    + "at most " + MAX_NAME + " characters)");
        }
        if (r.owner() != null && !r.owner().isBlank() && !OWNER.matcher(r.owner()).matches()) {
            throw ProblemException.badRequest("owner is a username: 1 to 128 letters, digits, '.', '_', '@' or '-'");
        }
        if (r.department() == null || r.department().isBlank() || r.department().length() > 128) {
            throw ProblemException.badRequest("department must be 1 to 128 characters");
        }
        if (r.purpose() == null || r.purpose().isBlank() || r.purpose().length() > 1024) {
            throw ProblemException.badRequest("purpose must be 1 to 1024 characters");
        }
        if (r.dataClasses() == null || r.dataClasses().isEmpty() || r.dataClasses().size() > dataClasses.size()
                || !dataClasses.containsAll(new HashSet<>(r.dataClasses()))) {
            throw ProblemException.badRequest("dataClasses must name one or more of the configured data classes: "
                    + String.join(", ", new java.util.TreeSet<>(dataClasses)));
        }
        if (r.serviceClients() != null && (r.serviceClients().size() > MAX_CLIENTS
                || r.serviceClients().stream().anyMatch(c -> c == null || !CLIENT.matcher(c).matches()))) {
            throw ProblemException.badRequest("serviceClients must be at most " + MAX_CLIENTS + " Keycloak client ids");
        }
        if (r.destinations() == null || r.destinations().isEmpty() || r.destinations().size() > 32
                || r.destinations().stream().anyMatch(d -> d == null || !HOST.matcher(d).matches())) {
            throw ProblemException.badRequest("destinations must be 1 to 32 host names (with an optional :port)");
        }
    }

    private static String note(String note) {
        String text = note == null ? "" : note.strip();
        if (text.length() > 500) {
            throw ProblemException.badRequest("note is at most 500 characters");
        }
        return text;
    }

    private static String reason(String reason) {
        String text = reason == null ? "" : reason.strip();
        if (text.length() > 500) {
            throw ProblemException.badRequest("reason is at most 500 characters");
        }
        return text;
    }

    private static String checkedId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw ProblemException.notFound("There is no integration with this id.");
        }
        return id;
    }

    private static View view(IntegrationEntity row, List<IntegrationApprovalEntity> approvals) {
        return new View(row.id, row.name, row.owner, row.department, row.purpose, row.dataClasses, row.destinations, row.serviceClients, row.state,
                row.stateReason, row.suspendedFor, row.approvalsRequired, approvals.stream().map(a -> new Approval(a.approver, a.approvedAt, a.note)).toList(),
                row.requestedBy, row.createdAt, row.updatedAt);
    }
}
