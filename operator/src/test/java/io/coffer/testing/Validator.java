package io.coffer.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What admission says of a resource: the errors a create (or an update) would get, empty when
 * admitted.
 */
public interface Validator {
  List<String> validate(JsonNode object);

  List<String> validateUpdate(JsonNode oldObject, JsonNode newObject);
}
