package dev.jseek.wire;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

import static dev.jseek.wire.InvalidFieldException.invalid;

/** Strict readers of one JSON field: absent or null is "not given", any other wrong type is a sentence naming the field. */
final class Fields {
    private Fields() {
    }

    static void object(JsonNode body, String what) {
        if (body == null || !body.isObject()) {
            String type = body == null ? "nothing" : body.getNodeType().toString().toLowerCase(Locale.ROOT);
            throw new InvalidFieldException(InvalidFieldException.Code.INVALID_JSON, what + " must be a JSON object, not " + type + ".");
        }
    }

    /** Every field of {@code node} is in {@code known}: a typo must not be ignored silently. */
    static void known(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new InvalidFieldException(InvalidFieldException.Code.UNKNOWN_PARAMETER, where == null
                        ? "Unrecognized request argument supplied: " + name + "."
                        : "Unrecognized argument in " + where + ": " + name + ".");
            }
        }
    }

    static boolean given(JsonNode body, String name) {
        return body.hasNonNull(name);
    }

    static boolean bool(JsonNode body, String name, boolean otherwise) {
        Boolean b = bool(body, name);
        return b == null ? otherwise : b;
    }

    static Boolean bool(JsonNode body, String name) {
        return read(body, name, JsonNode::isBoolean, "true or false", JsonNode::asBoolean);
    }

    static Float number(JsonNode body, String name) {
        return read(body, name, JsonNode::isNumber, "a number", n -> (float) n.asDouble());
    }

    static Integer integer(JsonNode body, String name) {
        return read(body, name, n -> n.isIntegralNumber() && n.canConvertToInt(), "an integer", JsonNode::asInt);
    }

    static Long longInteger(JsonNode body, String name) {
        return read(body, name, n -> n.isIntegralNumber() && n.canConvertToLong(), "an integer", JsonNode::asLong);
    }

    /** A string field; {@code what} says what kind of text is wanted. */
    static String text(JsonNode body, String name, String what) {
        return read(body, name, n -> n.isTextual() && !n.asText().isBlank(), what, JsonNode::asText);
    }

    /** The field's value; null when absent or null; "NAME must be WHAT, not VALUE." when {@code ok} refuses it. */
    private static <T> T read(JsonNode body, String name, Predicate<JsonNode> ok, String what, Function<JsonNode, T> value) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!ok.test(n)) {
            throw invalid(name + " must be " + what + ", not " + n + ".");
        }
        return value.apply(n);
    }

    /** A string or an array of strings (OpenAI's stop). */
    static List<String> strings(JsonNode body, String name) {
        JsonNode node = body.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        List<String> list = new ArrayList<>();
        if (node.isArray()) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    break;
                }
                list.add(s.asText());
            }
            if (list.size() == node.size()) {
                return list;
            }
        }
        throw invalid(name + " must be a string or an array of strings, not " + node + ".");
    }
}
