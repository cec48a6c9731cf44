package dev.sekisho.alert.routing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.sekisho.common.net.Cidr;
import dev.sekisho.common.policy.InvalidPolicyException;
import dev.sekisho.common.policy.PolicyFiles;

/**
 * The routing in force, compiled from the routing files: the route tree (Alertmanager's semantics: children in order,
 * the first that matches unless it says {@code continue}, the node itself when no child matches; settings inherited),
 * the receivers, the inhibition rules and the escalation policies.
 */
public final class Routing {

    /** No routing files: every alert to the log, grouped by rule. */
    public static final Routing DEFAULT = new Routing(new CompiledRoute("root", "log", List.of("rule"), Duration.ofSeconds(30),
            Duration.ofMinutes(5), Duration.ofHours(4), List.of(), false, List.of(), null),
            Map.of("log", new ReceiverSpec("log", Kind.LOG, null, List.of(), "standard", List.of(), List.of(), "info")), List.of(), Map.of());

    public enum Kind { WEBHOOK, CHAT, EMAIL, LOG }

    public record CompiledRoute(String id, String receiver, List<String> groupBy, Duration groupWait, Duration groupInterval,
            Duration repeatInterval, List<Matcher> matchers, boolean continueMatching, List<CompiledRoute> children, String escalation) {
    }

    /** A receiver: where, how signed, and which private networks it may reach. */
    public record ReceiverSpec(String name, Kind kind, String url, List<String> secretKeys, String format, List<Cidr> allowedNetworks,
            List<String> to, String level) {
    }

    public record Inhibition(List<Matcher> source, List<Matcher> target, List<String> equal) {
    }

    public record Escalation(String name, List<EscalationStep> steps, int repeat, Duration repeatInterval) {
    }

    public record EscalationStep(String receiver, Duration delay) {
    }

    private final CompiledRoute root;
    private final Map<String, ReceiverSpec> receivers;
    private final List<Inhibition> inhibitions;
    private final Map<String, Escalation> escalations;
    private final Map<String, CompiledRoute> byId = new java.util.HashMap<>();

    Routing(CompiledRoute root, Map<String, ReceiverSpec> receivers, List<Inhibition> inhibitions, Map<String, Escalation> escalations) {
        this.root = root;
        this.receivers = Map.copyOf(receivers);
        this.inhibitions = List.copyOf(inhibitions);
        this.escalations = Map.copyOf(escalations);
        index(root);
    }

    private void index(CompiledRoute node) {
        byId.put(node.id(), node);
        node.children().forEach(this::index);
    }

    /** The route of a group (or the root, when a reload removed it: its group still flushes with the root's timing). */
    public CompiledRoute routeById(String id) {
        return byId.getOrDefault(id, root);
    }

    public ReceiverSpec receiver(String name) {
        return receivers.get(name);
    }

    public Escalation escalation(String name) {
        return name == null ? null : escalations.get(name);
    }

    public List<Inhibition> inhibitions() {
        return inhibitions;
    }

    public int size() {
        return receivers.size();
    }

    /** The routes an alert with these labels goes to. */
    public List<CompiledRoute> route(Map<String, String> labels) {
        List<CompiledRoute> out = new ArrayList<>();
        walk(root, labels, out);
        return out;
    }

    private static boolean walk(CompiledRoute node, Map<String, String> labels, List<CompiledRoute> out) {
        if (!Matcher.all(node.matchers(), labels)) {
            return false;
        }
        boolean matchedChild = false;
        for (CompiledRoute child : node.children()) {
            if (walk(child, labels, out)) {
                matchedChild = true;
                if (!child.continueMatching()) {
                    break;
                }
            }
        }
        if (!matchedChild) {
            out.add(node);
        }
        return true;
    }

    // ---- compiling

    static final Pattern DURATION = Pattern.compile("(?:([0-9]+)(ms|s|m|h|d|w))+");
    static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h|d|w)");
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Set<String> FORMATS = Set.of("standard", "alertmanager");

    public static Routing compile(List<Path> files) throws InvalidPolicyException {
        if (files.isEmpty()) {
            return DEFAULT;
        }
        RoutingFile.Route rootRoute = null;
        String rootFile = null;
        Map<String, ReceiverSpec> receivers = new LinkedHashMap<>();
        List<Inhibition> inhibitions = new ArrayList<>();
        Map<String, Escalation> escalations = new LinkedHashMap<>();
        List<Object[]> escalationRefs = new ArrayList<>();
        for (Path path : files) {
            String file = path.getFileName().toString();
            RoutingFile parsed = PolicyFiles.read(path, RoutingFile.class);
            if (parsed.route() != null) {
                if (rootRoute != null) {
                    throw new InvalidPolicyException(file, 0, "a second route tree (the first is in " + rootFile + ")");
                }
                rootRoute = parsed.route();
                rootFile = file;
            }
            for (RoutingFile.Receiver r : nz(parsed.receivers())) {
                ReceiverSpec spec = receiver(file, r);
                if (receivers.put(spec.name(), spec) != null) {
                    throw new InvalidPolicyException(file, 0, "receiver '" + spec.name() + "' is defined twice");
                }
            }
            for (RoutingFile.InhibitRule rule : nz(parsed.inhibitRules())) {
                inhibitions.add(new Inhibition(matchers(file, rule.sourceMatchers()), matchers(file, rule.targetMatchers()),
                        nz(rule.equal())));
                if (nz(rule.sourceMatchers()).isEmpty() || nz(rule.targetMatchers()).isEmpty()) {
                    throw new InvalidPolicyException(file, 0, "an inhibition rule needs source_matchers and target_matchers");
                }
            }
            for (RoutingFile.EscalationPolicy e : nz(parsed.escalations())) {
                if (e.name() == null || !NAME.matcher(e.name()).matches()) {
                    throw new InvalidPolicyException(file, 0, "an escalation policy needs a name of letters, digits, '.', '_' or '-'");
                }
                List<EscalationStep> steps = new ArrayList<>();
                for (RoutingFile.Step step : nz(e.steps())) {
                    steps.add(new EscalationStep(step.receiver(), duration(file, "escalation " + e.name() + " delay",
                            step.delay() == null ? "0s" : step.delay(), Duration.ZERO)));
                    escalationRefs.add(new Object[] {file, step.receiver(), "escalation " + e.name()});
                }
                if (steps.isEmpty() || steps.size() > 10) {
                    throw new InvalidPolicyException(file, 0, "escalation " + e.name() + " has 1 to 10 steps");
                }
                int repeat = e.repeat() == null ? 1 : e.repeat();
                if (repeat < 1 || repeat > 10) {
                    throw new InvalidPolicyException(file, 0, "escalation " + e.name() + ": repeat is 1 to 10 rounds");
                }
                Duration again = duration(file, "escalation " + e.name() + " repeat_interval",
                        e.repeatInterval() == null ? "30m" : e.repeatInterval(), Duration.ofSeconds(1));
                if (escalations.put(e.name(), new Escalation(e.name(), List.copyOf(steps), repeat, again)) != null) {
                    throw new InvalidPolicyException(file, 0, "escalation '" + e.name() + "' is defined twice");
                }
            }
        }
        if (rootRoute == null) {
            throw new InvalidPolicyException(files.get(0).getFileName().toString(), 0, "no file has the route tree ('route')");
        }
        if (!receivers.containsKey("log")) {
            receivers.put("log", DEFAULT.receiver("log"));
        }
        CompiledRoute root = route(rootFile, rootRoute, DEFAULT.root, "root", 0, receivers, escalations);
        if (!root.matchers().isEmpty()) {
            throw new InvalidPolicyException(rootFile, 0, "the root route matches every alert: it takes no matchers");
        }
        for (Object[] ref : escalationRefs) {
            if (!receivers.containsKey((String) ref[1])) {
                throw new InvalidPolicyException((String) ref[0], 0, ref[2] + " names receiver '" + ref[1] + "', which is not defined");
            }
        }
        return new Routing(root, receivers, inhibitions, escalations);
    }

    private static CompiledRoute route(String file, RoutingFile.Route r, CompiledRoute parent, String id, int depth,
            Map<String, ReceiverSpec> receivers, Map<String, Escalation> escalations) throws InvalidPolicyException {
        if (depth > 8) {
            throw new InvalidPolicyException(file, 0, "routes nest deeper than 8");
        }
        String receiver = r.receiver() != null ? r.receiver() : parent.receiver();
        if (!receivers.containsKey(receiver)) {
            throw new InvalidPolicyException(file, 0, "route " + id + " names receiver '" + receiver + "', which is not defined");
        }
        if (r.escalation() != null && !escalations.containsKey(r.escalation())) {
            throw new InvalidPolicyException(file, 0, "route " + id + " names escalation '" + r.escalation() + "', which is not defined");
        }
        List<String> groupBy = r.groupBy() != null ? List.copyOf(r.groupBy()) : parent.groupBy();
        if (groupBy.size() > 8) {
            throw new InvalidPolicyException(file, 0, "route " + id + " groups by at most 8 labels");
        }
        Duration wait = r.groupWait() != null ? duration(file, "group_wait", r.groupWait(), Duration.ZERO) : parent.groupWait();
        Duration interval = r.groupInterval() != null ? duration(file, "group_interval", r.groupInterval(), Duration.ofSeconds(1))
                : parent.groupInterval();
        Duration repeat = r.repeatInterval() != null ? duration(file, "repeat_interval", r.repeatInterval(), Duration.ofSeconds(1))
                : parent.repeatInterval();
        List<CompiledRoute> children = new ArrayList<>();
        List<RoutingFile.Route> routes = nz(r.routes());
        for (int i = 0; i < routes.size(); i++) {
            children.add(route(file, routes.get(i), new CompiledRoute(id, receiver, groupBy, wait, interval, repeat, List.of(), false,
                    List.of(), r.escalation() != null ? r.escalation() : parent.escalation()), id + "." + i, depth + 1, receivers, escalations));
        }
        return new CompiledRoute(id, receiver, groupBy, wait, interval, repeat, matchers(file, r.matchers()),
                Boolean.TRUE.equals(r.continueMatching()), List.copyOf(children), r.escalation() != null ? r.escalation() : parent.escalation());
    }

    private static ReceiverSpec receiver(String file, RoutingFile.Receiver r) throws InvalidPolicyException {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new InvalidPolicyException(file, 0, "a receiver needs a name of letters, digits, '.', '_' or '-'");
        }
        int kinds = (r.webhook() != null ? 1 : 0) + (r.chat() != null ? 1 : 0) + (r.email() != null ? 1 : 0) + (r.log() != null ? 1 : 0);
        if (kinds != 1) {
            throw new InvalidPolicyException(file, 0, "receiver " + r.name() + " has exactly one of webhook, chat, email, log");
        }
        if (r.webhook() != null) {
            String format = r.webhook().format() == null ? "standard" : r.webhook().format();
            if (!FORMATS.contains(format)) {
                throw new InvalidPolicyException(file, 0, "receiver " + r.name() + ": format is standard or alertmanager");
            }
            if (nz(r.webhook().secretKeys()).isEmpty() && format.equals("standard")) {
                throw new InvalidPolicyException(file, 0, "receiver " + r.name() + ": a Standard Webhooks receiver needs secret_keys");
            }
            return new ReceiverSpec(r.name(), Kind.WEBHOOK, url(file, r.name(), r.webhook().url()), nz(r.webhook().secretKeys()), format,
                    networks(file, r.name(), r.webhook().allowedNetworks()), List.of(), null);
        }
        if (r.chat() != null) {
            return new ReceiverSpec(r.name(), Kind.CHAT, url(file, r.name(), r.chat().url()), List.of(), "chat",
                    networks(file, r.name(), r.chat().allowedNetworks()), List.of(), null);
        }
        if (r.email() != null) {
            List<String> to = nz(r.email().to());
            if (to.isEmpty() || to.size() > 20 || to.stream().anyMatch(a -> a == null || !a.matches("[^@\\s]{1,64}@[^@\\s]{1,255}"))) {
                throw new InvalidPolicyException(file, 0, "receiver " + r.name() + ": email needs 1 to 20 addresses in 'to'");
            }
            return new ReceiverSpec(r.name(), Kind.EMAIL, null, List.of(), "email", List.of(), List.copyOf(to), null);
        }
        String level = r.log().level() == null ? "info" : r.log().level();
        if (!Set.of("info", "warn").contains(level)) {
            throw new InvalidPolicyException(file, 0, "receiver " + r.name() + ": log level is info or warn");
        }
        return new ReceiverSpec(r.name(), Kind.LOG, null, List.of(), "log", List.of(), List.of(), level);
    }

    private static String url(String file, String receiver, String url) throws InvalidPolicyException {
        try {
            java.net.URI uri = new java.net.URI(url == null ? "" : url);
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null || uri.getUserInfo() != null) {
                throw new java.net.URISyntaxException(String.valueOf(url), "not an http(s) URL without credentials");
            }
            return url;
        } catch (java.net.URISyntaxException e) {
            throw new InvalidPolicyException(file, 0, "receiver " + receiver + ": url is an http or https URL with a host and no user info");
        }
    }

    private static List<Cidr> networks(String file, String receiver, List<String> networks) throws InvalidPolicyException {
        List<Cidr> out = new ArrayList<>();
        for (String n : nz(networks)) {
            try {
                out.add(Cidr.parse(n));
            } catch (IllegalArgumentException e) {
                throw new InvalidPolicyException(file, 0, "receiver " + receiver + ": allowed_networks: " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    private static List<Matcher> matchers(String file, List<String> texts) throws InvalidPolicyException {
        List<Matcher> out = new ArrayList<>();
        for (String text : nz(texts)) {
            try {
                out.add(Matcher.parse(text));
            } catch (IllegalArgumentException e) {
                throw new InvalidPolicyException(file, 0, e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    /** Alertmanager's durations: {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 1d}, {@code 1w}; at most 30 days. */
    public static Duration duration(String file, String what, String text, Duration min) throws InvalidPolicyException {
        if (text == null || !DURATION.matcher(text).matches()) {
            throw new InvalidPolicyException(file, 0, what + " '" + (text == null ? "" : text.length() > 32 ? text.substring(0, 32) : text)
                    + "' is not a duration such as 30s, 5m, 1h30m");
        }
        Duration total = Duration.ZERO;
        var m = PART.matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(1).length() > 9 ? "999999999" : m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            });
        }
        if (total.compareTo(min) < 0 || total.compareTo(Duration.ofDays(30)) > 0) {
            throw new InvalidPolicyException(file, 0, what + " is between " + min.toSeconds() + "s and 30d");
        }
        return total;
    }

    private static <T> List<T> nz(List<T> list) {
        return list == null ? List.of() : list;
    }
}
