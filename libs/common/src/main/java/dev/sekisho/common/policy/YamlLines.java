package dev.sekisho.common.policy;

import java.io.StringReader;
import java.util.List;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import com.fasterxml.jackson.databind.JsonMappingException;

/**
 * The line a mapping error points at. Jackson knows the path of the failing value (descriptors[0].rate_limit)
 * but reports the parser's position after it; the YAML node tree knows where each value starts.
 */
final class YamlLines {

    private YamlLines() {
    }

    /** 1-based line of the value at the path, or 0 when it cannot be found. */
    static int lineOf(String yaml, List<JsonMappingException.Reference> path) {
        try {
            Node node = new Yaml(new LoaderOptions()).compose(new StringReader(yaml));
            int line = node == null ? 0 : node.getStartMark().getLine() + 1;
            for (JsonMappingException.Reference step : path) {
                if (node instanceof MappingNode mapping && step.getFieldName() != null) {
                    Node next = null;
                    for (NodeTuple tuple : mapping.getValue()) {
                        if (tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals(step.getFieldName())) {
                            line = key.getStartMark().getLine() + 1;
                            next = tuple.getValueNode();
                        }
                    }
                    node = next;
                } else if (node instanceof SequenceNode sequence && step.getIndex() >= 0 && step.getIndex() < sequence.getValue().size()) {
                    node = sequence.getValue().get(step.getIndex());
                    line = node.getStartMark().getLine() + 1;
                } else {
                    break;
                }
                if (node == null) {
                    break;
                }
            }
            return line;
        } catch (RuntimeException unreadable) {
            return 0;
        }
    }
}
