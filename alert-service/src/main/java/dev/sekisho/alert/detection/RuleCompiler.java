package dev.sekisho.alert.detection;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import dev.sekisho.common.policy.InvalidPolicyException;

/**
 * Compiles detection files: YAML documents in Sigma's format (a documented subset, docs in alert-service's README),
 * several per file ({@code ---}), each a detection rule ({@code detection}) or a correlation ({@code correlation}).
 * Strict: unknown keys, unsupported Sigma features, bad references and cycles are refused with the file, the line and
 * the reason, and the whole set is refused with them.
 */
public final class RuleCompiler {

    static final long MAX_FILE_BYTES = 1 << 20;
    static final int MAX_RULES = 1000;
    static final Duration MAX_TIMESPAN = Duration.ofDays(7);
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");
    static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    static final Pattern TIMESPAN = Pattern.compile("([1-9][0-9]{0,6})([smhd])");
    /** Sigma's descriptive keys: read, checked as text or lists, otherwise not used. */
    static final Set<String> METADATA = Set.of("status", "description", "author", "date", "modified", "references", "tags",
            "falsepositives", "license", "related", "taxonomy", "scope");
    static final Set<String> LEVELS = Set.of("informational", "low", "medium", "high", "critical");

    private RuleCompiler() {
    }

    public static RuleSet compile(List<Path> files) throws InvalidPolicyException {
        List<Document> documents = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            String text;
            try {
                if (Files.size(file) > MAX_FILE_BYTES) {
                    throw new InvalidPolicyException(name, 0, "larger than 1 MiB");
                }
                text = Files.readString(file);
            } catch (IOException e) {
                throw new InvalidPolicyException(name, 0, "cannot read: " + e.getMessage());
            }
            documents.addAll(parse(name, text));
        }
        return compileDocuments(documents);
    }

    /** One file's text, compiled alone (the validate endpoint). */
    public static RuleSet compile(String name, String text) throws InvalidPolicyException {
        return compileDocuments(parse(name, text));
    }

    record Document(String file, MappingNode node) {
    }

    private static List<Document> parse(String file, String text) throws InvalidPolicyException {
        List<Document> documents = new ArrayList<>();
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            options.setCodePointLimit((int) MAX_FILE_BYTES);
            for (Node node : new Yaml(options).composeAll(new StringReader(text))) {
                if (node == null) {
                    continue;
                }
                if (!(node instanceof MappingNode mapping)) {
                    throw new InvalidPolicyException(file, line(node), "a rule is a mapping of Sigma keys");
                }
                documents.add(new Document(file, mapping));
            }
        } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
            throw new InvalidPolicyException(file, e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1,
                    "not valid YAML: " + e.getProblem());
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new InvalidPolicyException(file, 0, "not valid YAML: " + e.getMessage());
        }
        return documents;
    }

    private static RuleSet compileDocuments(List<Document> documents) throws InvalidPolicyException {
        if (documents.size() > MAX_RULES) {
            throw new InvalidPolicyException(documents.get(MAX_RULES).file(), line(documents.get(MAX_RULES).node()),
                    "more than " + MAX_RULES + " rules");
        }
        List<Rule> rules = new ArrayList<>();
        List<Correlation> correlations = new ArrayList<>();
        Map<String, Document> references = new HashMap<>();
        Map<String, Node> correlationRefs = new HashMap<>();
        for (Document document : documents) {
            Reader reader = new Reader(document.file());
            Map<String, Node> keys = reader.keys(document.node());
            String id = reader.id(keys, "id", document.node());
            String name = keys.containsKey("name") ? reader.identifier(keys.get("name"), "name") : null;
            for (String reference : name == null ? List.of(id) : List.of(id, name)) {
                if (references.put(reference, document) != null) {
                    throw reader.error(document.node(), "'" + reference + "' names two rules");
                }
            }
            if (keys.containsKey("correlation")) {
                Correlation correlation = reader.correlation(keys, id, name, document.node());
                correlations.add(correlation);
                correlationRefs.put(correlation.reference(), keys.get("correlation"));
            } else if (keys.containsKey("detection")) {
                rules.add(reader.rule(keys, id, name, document.node()));
            } else {
                throw reader.error(document.node(), "a rule has a 'detection' or a 'correlation'");
            }
        }
        // references resolve, and correlations that feed each other form no cycle
        Map<String, Correlation> byReference = new HashMap<>();
        correlations.forEach(c -> {
            byReference.put(c.reference(), c);
            byReference.put(c.id(), c);
        });
        Set<String> used = new HashSet<>();
        List<Correlation> resolved = new ArrayList<>();
        for (Correlation correlation : correlations) {
            Node at = correlationRefs.get(correlation.reference());
            Reader reader = new Reader(references.get(correlation.reference()).file());
            List<String> canonical = new ArrayList<>();
            for (String rule : correlation.rules()) {
                Document target = references.get(rule);
                if (target == null) {
                    throw reader.error(at, "correlation '" + correlation.reference() + "' uses '" + rule + "', which is no rule");
                }
                String canon = byReference.containsKey(rule) ? byReference.get(rule).reference()
                        : rules.stream().filter(r -> r.id().equals(rule) || rule.equals(r.name())).findFirst().orElseThrow().reference();
                if (correlation.type() == Correlation.Type.ABSENCE && byReference.containsKey(rule)) {
                    throw reader.error(at, "x-absence watches rules, not correlations");
                }
                canonical.add(canon);
                used.add(canon);
            }
            resolved.add(new Correlation(correlation.id(), correlation.name(), correlation.title(), correlation.description(),
                    correlation.severity(), correlation.type(), List.copyOf(canonical), correlation.groupBy(), correlation.timespan(),
                    correlation.threshold(), correlation.field(), correlation.factor(), correlation.learningBuckets(),
                    correlation.generate(), correlation.playbook(), correlation.file()));
        }
        for (Correlation correlation : resolved) {
            depth(correlation, resolved, new HashSet<>(), correlationRefs, references);
        }
        List<Rule> finalRules = new ArrayList<>();
        for (Rule rule : rules) {
            boolean generate = rule.generate() || !used.contains(rule.reference());
            finalRules.add(new Rule(rule.id(), rule.name(), rule.title(), rule.description(), rule.severity(), rule.service(),
                    rule.selections(), rule.condition(), rule.fields(), generate, rule.playbook(), rule.file()));
        }
        // Sigma: a rule or correlation that another correlation uses fires alerts of its own only with generate: true
        List<Correlation> finalCorrelations = new ArrayList<>();
        for (Correlation c : resolved) {
            finalCorrelations.add(new Correlation(c.id(), c.name(), c.title(), c.description(), c.severity(), c.type(), c.rules(),
                    c.groupBy(), c.timespan(), c.threshold(), c.field(), c.factor(), c.learningBuckets(),
                    c.generate() || !used.contains(c.reference()), c.playbook(), c.file()));
        }
        return new RuleSet(finalRules, finalCorrelations);
    }

    private static void depth(Correlation correlation, List<Correlation> all, Set<String> path, Map<String, Node> at,
            Map<String, Document> references) throws InvalidPolicyException {
        if (!path.add(correlation.reference())) {
            Reader reader = new Reader(references.get(correlation.reference()).file());
            throw reader.error(at.get(correlation.reference()), "correlations '" + String.join("' -> '", path) + "' feed each other in a cycle");
        }
        if (path.size() > 4) {
            Reader reader = new Reader(references.get(correlation.reference()).file());
            throw reader.error(at.get(correlation.reference()), "correlations chain more than 4 deep");
        }
        for (String rule : correlation.rules()) {
            for (Correlation next : all) {
                if (next.reference().equals(rule)) {
                    depth(next, all, new HashSet<>(path), at, references);
                }
            }
        }
    }

    /** Reads one document's nodes, with the file and line of every refusal. */
    private static final class Reader {
        final String file;

        Reader(String file) {
            this.file = file;
        }

        InvalidPolicyException error(Node node, String reason) {
            return new InvalidPolicyException(file, line(node), reason);
        }

        Map<String, Node> keys(MappingNode mapping) throws InvalidPolicyException {
            Map<String, Node> keys = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    throw error(tuple.getKeyNode(), "keys are plain text");
                }
                keys.put(key.getValue(), tuple.getValueNode());
            }
            return keys;
        }

        String text(Node node, String what) throws InvalidPolicyException {
            if (!(node instanceof ScalarNode scalar) || scalar.getTag().equals(Tag.NULL)) {
                throw error(node, what + " is text");
            }
            if (scalar.getValue().length() > 4096) {
                throw error(node, what + " is longer than 4096 characters");
            }
            return scalar.getValue();
        }

        String identifier(Node node, String what) throws InvalidPolicyException {
            String text = text(node, what);
            if (!ID.matcher(text).matches()) {
                throw error(node, what + " '" + clip(text) + "' must be 1 to 64 letters, digits, '.', '_', ':' or '-'");
            }
            return text;
        }

        String id(Map<String, Node> keys, String key, Node at) throws InvalidPolicyException {
            if (!keys.containsKey(key)) {
                throw error(at, "a rule needs an 'id'");
            }
            return identifier(keys.get(key), key);
        }

        List<String> texts(Node node, String what) throws InvalidPolicyException {
            if (node instanceof ScalarNode) {
                return List.of(text(node, what));
            }
            if (!(node instanceof SequenceNode sequence)) {
                throw error(node, what + " is a list");
            }
            List<String> values = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                values.add(text(item, what));
            }
            return values;
        }

        void checkMetadata(Map<String, Node> keys, Set<String> allowed, Node at) throws InvalidPolicyException {
            for (Map.Entry<String, Node> key : keys.entrySet()) {
                if (METADATA.contains(key.getKey())) {
                    if (!(key.getValue() instanceof ScalarNode) && !(key.getValue() instanceof SequenceNode)
                            && !key.getKey().equals("related")) {
                        throw error(key.getValue(), key.getKey() + " is text or a list");
                    }
                } else if (!allowed.contains(key.getKey())) {
                    throw error(key.getValue(), "unknown key '" + clip(key.getKey()) + "'");
                }
            }
        }

        String level(Map<String, Node> keys) throws InvalidPolicyException {
            if (!keys.containsKey("level")) {
                return "medium";
            }
            String level = text(keys.get("level"), "level");
            if (!LEVELS.contains(level)) {
                throw error(keys.get("level"), "level is one of informational, low, medium, high, critical");
            }
            return level;
        }

        boolean bool(Map<String, Node> keys, String key) throws InvalidPolicyException {
            if (!keys.containsKey(key)) {
                return false;
            }
            Node node = keys.get(key);
            if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.BOOL)) {
                throw error(node, key + " is true or false");
            }
            return Boolean.parseBoolean(scalar.getValue());
        }

        Rule rule(Map<String, Node> keys, String id, String name, Node at) throws InvalidPolicyException {
            checkMetadata(keys, Set.of("title", "id", "name", "level", "logsource", "detection", "fields", "generate", "x-playbook"), at);
            String title = text(required(keys, "title", at), "title");
            String service = logsource(required(keys, "logsource", at));
            Node detection = keys.get("detection");
            if (!(detection instanceof MappingNode detectionMap)) {
                throw error(detection, "detection is a mapping of selections and a condition");
            }
            Map<String, Node> parts = keys(detectionMap);
            if (!parts.containsKey("condition")) {
                throw error(detection, "detection needs a condition");
            }
            Map<String, Predicate<Signal>> selections = new LinkedHashMap<>();
            for (Map.Entry<String, Node> part : parts.entrySet()) {
                if (part.getKey().equals("condition") || part.getKey().equals("timeframe")) {
                    continue;
                }
                if (!FIELD.matcher(part.getKey()).matches()) {
                    throw error(part.getValue(), "selection name '" + clip(part.getKey()) + "' must be letters, digits, '_', '.' or '-'");
                }
                selections.put(part.getKey(), selection(part.getValue()));
            }
            if (parts.containsKey("timeframe")) {
                throw error(parts.get("timeframe"), "timeframe (Sigma 1) is not supported: write a correlation with a timespan");
            }
            if (selections.isEmpty()) {
                throw error(detection, "detection has no selection");
            }
            Node conditionNode = parts.get("condition");
            if (conditionNode instanceof SequenceNode) {
                throw error(conditionNode, "a list of conditions is not supported: join them with 'or'");
            }
            Condition condition;
            try {
                condition = Condition.parse(text(conditionNode, "condition"), selections.keySet());
            } catch (IllegalArgumentException e) {
                throw error(conditionNode, e.getMessage());
            }
            List<String> fields = keys.containsKey("fields") ? fields(keys.get("fields"), "fields") : List.of();
            return new Rule(id, name, title, description(keys), level(keys), service, Map.copyOf(selections), condition, fields,
                    bool(keys, "generate"), playbook(keys, fields, "fields"), file);
        }

        private String description(Map<String, Node> keys) throws InvalidPolicyException {
            return keys.containsKey("description") ? text(keys.get("description"), "description") : "";
        }

        Node required(Map<String, Node> keys, String key, Node at) throws InvalidPolicyException {
            if (!keys.containsKey(key)) {
                throw error(at, "a rule needs '" + key + "'");
            }
            return keys.get(key);
        }

        String logsource(Node node) throws InvalidPolicyException {
            if (!(node instanceof MappingNode mapping)) {
                throw error(node, "logsource is a mapping (product: sekisho, service: ...)");
            }
            Map<String, Node> keys = keys(mapping);
            String service = null;
            for (Map.Entry<String, Node> key : keys.entrySet()) {
                switch (key.getKey()) {
                    case "product" -> {
                        if (!"sekisho".equals(text(key.getValue(), "product"))) {
                            throw error(key.getValue(), "product is sekisho: these rules read Sekisho's signals");
                        }
                    }
                    case "service" -> {
                        service = text(key.getValue(), "service");
                        if (!SERVICE.matcher(service).matches()) {
                            throw error(key.getValue(), "service is a service name such as auth-service");
                        }
                    }
                    case "category", "definition" -> throw error(key.getValue(),
                            "logsource " + key.getKey() + " is not supported: signals are chosen by service and kind");
                    default -> throw error(key.getValue(), "unknown logsource key '" + clip(key.getKey()) + "'");
                }
            }
            if (!keys.containsKey("product")) {
                throw error(node, "logsource needs product: sekisho");
            }
            return service;
        }

        Predicate<Signal> selection(Node node) throws InvalidPolicyException {
            if (node instanceof MappingNode mapping) {
                return fieldMap(mapping);
            }
            if (node instanceof SequenceNode sequence) {
                List<Predicate<Signal>> alternatives = new ArrayList<>();
                for (Node item : sequence.getValue()) {
                    if (!(item instanceof MappingNode mapping)) {
                        throw error(item, "keyword searches (a list of plain values) are not supported: name the field");
                    }
                    alternatives.add(fieldMap(mapping));
                }
                if (alternatives.isEmpty()) {
                    throw error(node, "an empty selection");
                }
                return signal -> {
                    for (Predicate<Signal> alternative : alternatives) {
                        if (alternative.test(signal)) {
                            return true;
                        }
                    }
                    return false;
                };
            }
            throw error(node, "keyword searches are not supported: a selection maps fields to values");
        }

        Predicate<Signal> fieldMap(MappingNode mapping) throws InvalidPolicyException {
            List<FieldMatcher> matchers = new ArrayList<>();
            for (NodeTuple tuple : mapping.getValue()) {
                String key = text(tuple.getKeyNode(), "a field");
                String[] parts = key.split("\\|", -1);
                if (!FIELD.matcher(parts[0]).matches()) {
                    throw error(tuple.getKeyNode(), "field '" + clip(parts[0]) + "' must be letters, digits, '_', '.' or '-'");
                }
                List<String> values = new ArrayList<>();
                Node value = tuple.getValueNode();
                if (value instanceof SequenceNode sequence) {
                    for (Node item : sequence.getValue()) {
                        values.add(scalar(item));
                    }
                } else {
                    values.add(scalar(value));
                }
                try {
                    matchers.add(FieldMatcher.of(parts[0], List.of(parts).subList(1, parts.length), values));
                } catch (IllegalArgumentException e) {
                    throw error(tuple.getKeyNode(), e.getMessage());
                }
            }
            if (matchers.isEmpty()) {
                throw error(mapping, "an empty selection");
            }
            return signal -> {
                for (FieldMatcher matcher : matchers) {
                    if (!matcher.test(signal)) {
                        return false;
                    }
                }
                return true;
            };
        }

        String scalar(Node node) throws InvalidPolicyException {
            if (!(node instanceof ScalarNode scalar)) {
                throw error(node, "a value is text, a number, true, false or null");
            }
            if (scalar.getTag().equals(Tag.NULL)) {
                return null;
            }
            if (scalar.getValue().length() > 1024) {
                throw error(node, "a value is at most 1024 characters");
            }
            return scalar.getValue();
        }

        List<String> fields(Node node, String what) throws InvalidPolicyException {
            List<String> fields = texts(node, what);
            if (fields.size() > 8) {
                throw error(node, what + " names at most 8 fields");
            }
            for (String field : fields) {
                if (!FIELD.matcher(field).matches()) {
                    throw error(node, what + ": '" + clip(field) + "' is not a field name");
                }
            }
            return List.copyOf(fields);
        }

        Correlation correlation(Map<String, Node> keys, String id, String name, Node at) throws InvalidPolicyException {
            checkMetadata(keys, Set.of("title", "id", "name", "level", "correlation", "generate", "x-playbook"), at);
            String title = text(required(keys, "title", at), "title");
            Node node = keys.get("correlation");
            if (!(node instanceof MappingNode mapping)) {
                throw error(node, "correlation is a mapping (type, rules, group-by, timespan, condition)");
            }
            Map<String, Node> c = keys(mapping);
            for (String key : c.keySet()) {
                if (key.equals("aliases")) {
                    throw error(c.get(key), "correlation aliases are not supported: signals share their label names");
                }
                if (!Set.of("type", "rules", "group-by", "timespan", "condition", "x-factor", "x-learning-buckets").contains(key)) {
                    throw error(c.get(key), "unknown correlation key '" + clip(key) + "'");
                }
            }
            String typeText = text(required(c, "type", node), "type");
            Correlation.Type type = typeText.equals("temporal") ? Correlation.Type.TEMPORAL_ORDERED : Correlation.Type.of(typeText);
            if (typeText.equals("temporal")) {
                throw error(c.get("type"), "temporal (unordered) is not supported yet: use temporal_ordered");
            }
            if (type == null) {
                throw error(c.get("type"), "type is one of event_count, value_count, temporal_ordered, x-rate-anomaly, x-absence");
            }
            List<String> rules = texts(required(c, "rules", node), "rules");
            if (rules.isEmpty() || rules.size() > 8) {
                throw error(c.get("rules"), "a correlation uses 1 to 8 rules");
            }
            if (type == Correlation.Type.TEMPORAL_ORDERED && rules.size() < 2) {
                throw error(c.get("rules"), "temporal_ordered needs at least two rules, in their order");
            }
            List<String> groupBy = c.containsKey("group-by") ? fields(c.get("group-by"), "group-by") : List.of();
            Duration timespan = timespan(required(c, "timespan", node));
            long threshold = 1;
            String field = null;
            if (type == Correlation.Type.EVENT_COUNT || type == Correlation.Type.VALUE_COUNT || type == Correlation.Type.RATE_ANOMALY) {
                Node condition = required(c, "condition", node);
                if (!(condition instanceof MappingNode conditionMap)) {
                    throw error(condition, "condition is a mapping such as {gte: 5}");
                }
                Map<String, Node> parts = keys(conditionMap);
                for (Map.Entry<String, Node> part : parts.entrySet()) {
                    switch (part.getKey()) {
                        case "gte" -> threshold = count(part.getValue());
                        case "gt" -> threshold = count(part.getValue()) + 1;
                        case "field" -> field = text(part.getValue(), "field");
                        case "lt", "lte", "eq", "neq", "range" -> throw error(part.getValue(), "condition " + part.getKey()
                                + " is not supported: a correlation fires when a count is reached (gte, gt); for 'nothing came' use x-absence");
                        default -> throw error(part.getValue(), "unknown condition key '" + clip(part.getKey()) + "'");
                    }
                }
                if (!parts.containsKey("gte") && !parts.containsKey("gt")) {
                    throw error(condition, "condition needs gte or gt");
                }
                if (type == Correlation.Type.VALUE_COUNT && field == null) {
                    throw error(condition, "value_count counts distinct values of a field: condition needs 'field'");
                }
                if (type != Correlation.Type.VALUE_COUNT && field != null) {
                    throw error(condition, "field belongs to value_count");
                }
                if (field != null && !FIELD.matcher(field).matches()) {
                    throw error(condition, "field '" + clip(field) + "' is not a field name");
                }
                if (threshold > 100_000) {
                    throw error(condition, "a threshold is at most 100000");
                }
            } else if (c.containsKey("condition")) {
                throw error(c.get("condition"), typeText + " takes no condition");
            }
            double factor = 0;
            int learning = 0;
            if (type == Correlation.Type.RATE_ANOMALY) {
                factor = c.containsKey("x-factor") ? decimal(c.get("x-factor")) : 3.0;
                learning = c.containsKey("x-learning-buckets") ? (int) count(c.get("x-learning-buckets")) : 6;
                if (factor < 1.1 || factor > 1000 || learning > 1000) {
                    throw error(c.get("x-factor") != null ? c.get("x-factor") : node, "x-factor is 1.1 to 1000, x-learning-buckets at most 1000");
                }
            } else if (c.containsKey("x-factor") || c.containsKey("x-learning-buckets")) {
                throw error(node, "x-factor and x-learning-buckets belong to x-rate-anomaly");
            }
            return new Correlation(id, name, title, description(keys), level(keys), type, List.copyOf(rules), groupBy, timespan,
                    threshold, field, factor, learning, bool(keys, "generate"), playbook(keys, groupBy, "group-by"), file);
        }

        /** {@code x-playbook}: at most 4 actions, each naming a label the alert carries (in {@code fields} or {@code group-by}). */
        List<PlaybookAction> playbook(Map<String, Node> keys, List<String> labels, String where) throws InvalidPolicyException {
            Node node = keys.get("x-playbook");
            if (node == null) {
                return List.of();
            }
            if (!(node instanceof SequenceNode sequence) || sequence.getValue().isEmpty() || sequence.getValue().size() > 4) {
                throw error(node, "x-playbook is a list of 1 to 4 actions");
            }
            List<PlaybookAction> actions = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                if (!(item instanceof MappingNode mapping)) {
                    throw error(item, "a playbook action is a mapping (action, label, duration, dry_run)");
                }
                Map<String, Node> a = keys(mapping);
                for (String key : a.keySet()) {
                    if (!Set.of("action", "label", "duration", "dry_run").contains(key)) {
                        throw error(a.get(key), "unknown playbook key '" + clip(key) + "'");
                    }
                }
                PlaybookAction.Kind kind = PlaybookAction.Kind.BY_NAME.get(text(required(a, "action", item), "action"));
                if (kind == null) {
                    throw error(a.get("action"), "action is one of block_ip, block_user, disable_user, revoke_api_key");
                }
                String label = a.containsKey("label") ? text(a.get("label"), "label") : kind.defaultLabel;
                if (!labels.contains(label)) {
                    throw error(item, "the playbook's target label '" + clip(label) + "' must be in the rule's " + where
                            + ", so that the alert carries it");
                }
                Duration duration = null;
                if (kind.blocks()) {
                    duration = a.containsKey("duration") ? timespan(a.get("duration")) : Duration.ofMinutes(15);
                } else if (a.containsKey("duration")) {
                    throw error(a.get("duration"), "only block actions take a duration");
                }
                actions.add(new PlaybookAction(kind, label, duration, bool(a, "dry_run")));
            }
            return List.copyOf(actions);
        }

        Duration timespan(Node node) throws InvalidPolicyException {
            String text = text(node, "timespan");
            var m = TIMESPAN.matcher(text);
            if (!m.matches()) {
                throw error(node, "timespan is a number and a unit: 30s, 5m, 1h, 1d");
            }
            long n = Long.parseLong(m.group(1));
            Duration duration = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            if (duration.compareTo(MAX_TIMESPAN) > 0) {
                throw error(node, "timespan is at most 7d");
            }
            return duration;
        }

        long count(Node node) throws InvalidPolicyException {
            if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.INT)) {
                throw error(node, "a count is a whole number");
            }
            try {
                long value = Long.parseLong(scalar.getValue());
                if (value < 1) {
                    throw error(node, "a count is at least 1");
                }
                return value;
            } catch (NumberFormatException e) {
                throw error(node, "a count is a whole number");
            }
        }

        double decimal(Node node) throws InvalidPolicyException {
            if (!(node instanceof ScalarNode scalar) || !(scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT))) {
                throw error(node, "a number");
            }
            return Double.parseDouble(scalar.getValue());
        }
    }

    static int line(Node node) {
        return node == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private static String clip(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
