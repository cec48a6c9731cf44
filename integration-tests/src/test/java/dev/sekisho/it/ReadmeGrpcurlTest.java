package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.restassured.http.ContentType;

/**
 * The README's grpcurl examples ("Call it") cannot rot: each is read from the README, its shell words taken apart as
 * a shell would ({@code $TOKEN} a person's token), and called the way grpcurl calls it, through the running suite's
 * reflection (method and messages from the server, the request from the example's JSON). It must answer OK, with an
 * answer of the shape the README shows (the same fields, at every level; values differ from run to run).
 */
class ReadmeGrpcurlTest {

    /** A fenced {@code sh} block that is one grpcurl command, and the {@code json} block after it: what it printed. */
    private static final Pattern EXAMPLE = Pattern.compile("```sh\\n(grpcurl .*?)\\n```\\s*```json\\n(.*?)\\n```", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One example: the command's words and the output the README shows. */
    record Example(List<String> words, String shown) {
    }

    @Test
    void everyGrpcurlExampleOfTheReadmeAnswersAsShown() throws Exception {
        Suite suite = RunningSuite.get();
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        // what the README's curl examples made before: the secret and the transit key its gRPC examples use
        given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator).contentType(ContentType.JSON)
                .body(Map.of("data", Map.of("username", "sync", "password", "crm-s3cret"))).put("/v1/secrets/integrations/crm")
                .then().statusCode(200);
        int created = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(admin).contentType(ContentType.JSON).body("{}")
                .post("/v1/transit/keys/orders").then().extract().statusCode();
        assertTrue(created == 200 || created == 201 || created == 409, "the transit key: " + created);

        List<Example> examples = examples(Path.of(System.getProperty("sekisho.root"), "README.md"));
        assertTrue(examples.size() >= 5, "the README's grpcurl examples: " + examples.size());
        Map<String, String> answers = run(examples, Map.of("TOKEN", operator), port -> suite.port(serviceOn(port)));
        for (Example example : examples) {
            String method = example.words().get(example.words().size() - 1);
            assertEquals(shape(JSON.readTree(example.shown())), shape(JSON.readTree(answers.get(method))),
                    method + " answers in the README's shape; it answered " + answers.get(method));
        }
    }

    /**
     * Prints what each example answers against {@code ./sekisho up} (its ports; {@code TOKEN} from the environment):
     * the outputs the README shows.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> answers = run(examples(Path.of(args.length > 0 ? args[0] : "README.md")),
                Map.of("TOKEN", System.getenv("TOKEN")), port -> port);
        answers.forEach((method, answer) -> System.out.println("### " + method + "\n" + answer));
    }

    /** The README's grpcurl examples, in order. */
    static List<Example> examples(Path readme) throws IOException {
        List<Example> found = new ArrayList<>();
        Matcher m = EXAMPLE.matcher(Files.readString(readme));
        while (m.find()) {
            found.add(new Example(words(m.group(1)), m.group(2)));
        }
        return found;
    }

    /**
     * Calls each example as grpcurl would, on the port {@code ports} maps the example's to, and returns each method's
     * answer as JSON.
     */
    static Map<String, String> run(List<Example> examples, Map<String, String> variables, IntUnaryOperator ports) throws Exception {
        Map<String, String> answers = new LinkedHashMap<>();
        for (Example example : examples) {
            List<String> words = expand(example.words(), variables);
            Map<String, String> headers = new LinkedHashMap<>();
            String data = "{}";
            Iterator<String> it = words.iterator();
            assertEquals("grpcurl", it.next());
            String address = null;
            String method = null;
            while (it.hasNext()) {
                String word = it.next();
                switch (word) {
                    case "-plaintext" -> { }
                    case "-H" -> {
                        String header = it.next();
                        int colon = header.indexOf(':');
                        headers.put(header.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT), header.substring(colon + 1).strip());
                    }
                    case "-d" -> data = it.next();
                    default -> {
                        if (word.startsWith("-")) {
                            throw new AssertionError("a grpcurl flag this test does not know: " + word);
                        }
                        if (address == null) {
                            address = word;
                        } else {
                            method = word;
                        }
                    }
                }
            }
            if (address == null || method == null) {
                throw new AssertionError("an example without an address and a method: " + example.words());
            }
            int port = ports.applyAsInt(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
            answers.put(method, GrpcReflection.call(port, method, data, headers));
        }
        return answers;
    }

    private static SekishoService serviceOn(int defaultPort) {
        for (SekishoService service : SekishoService.values()) {
            if (service.defaultPort() == defaultPort) {
                return service;
            }
        }
        throw new AssertionError("no service listens on " + defaultPort + " under ./sekisho up");
    }

    /**
     * A command line split into words as a POSIX shell splits it: backslash-newline joins lines, single quotes keep
     * everything, double quotes keep spaces; {@code $NAME} outside single quotes is marked for {@link #expand}.
     */
    static List<String> words(String command) {
        String text = command.replace("\\\n", " ");
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    word.append(c);
                }
                continue;
            }
            if (quote == '"' && c == '"') {
                quote = 0;
                continue;
            }
            if (quote == 0 && Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == '$') {
                word.append('\u0000'); // a variable to expand, never a literal dollar inside single quotes
            } else if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
            } else {
                word.append(c);
            }
        }
        if (quote != 0) {
            throw new AssertionError("an unterminated quote in " + command);
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    private static final Pattern VARIABLE = Pattern.compile("\u0000([A-Za-z_][A-Za-z0-9_]*)");

    private static List<String> expand(List<String> words, Map<String, String> variables) {
        return words.stream().map(w -> VARIABLE.matcher(w).replaceAll(m -> {
            String value = variables.get(m.group(1));
            if (value == null) {
                throw new AssertionError("the example uses $" + m.group(1) + ", which the test does not set");
            }
            return Matcher.quoteReplacement(value);
        })).toList();
    }

    /** The fields of an answer at every level (an array by its first element), without their values. */
    static Object shape(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> fields = new TreeMap<>();
            node.fields().forEachRemaining(e -> fields.put(e.getKey(), shape(e.getValue())));
            return fields;
        }
        if (node.isArray()) {
            return node.isEmpty() ? List.of() : List.of(shape(node.get(0)));
        }
        return "";
    }
}
