package dev.jseek.chat;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.util.List;

/** JSON Schema validation (networknt's validator, draft 2020-12) for sampled tool arguments and answers. */
final class SchemaCheck {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private final Schema schema;

    SchemaCheck(String schemaJson) {
        this.schema = REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    }

    /**
     * The validator's messages for this instance; empty when it validates. Text that is not JSON at all is one
     * message saying so (the validator would throw).
     */
    List<String> errors(String instanceJson) {
        try {
            if (new com.fasterxml.jackson.databind.ObjectMapper().readTree(instanceJson).isMissingNode()) {
                return List.of("not JSON: empty");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        return schema.validate(instanceJson, InputFormat.JSON).stream().map(Error::toString).toList();
    }
}
