"""Generate the C schema tables from the op schemas in schemas/<Kind>.json.

usage: gen_schema_tables.py HEADER OP_SCHEMA OUTPUT_C SCHEMA_JSON...

HEADER is the public header (its pygraph_data_type enum is the list of data
type names), OP_SCHEMA is schemas/op.schema.json (the JSON Schema the op
schemas obey; its data-type and attribute-type enums are checked against
the header and against this generator so the three cannot drift apart).
Every SCHEMA_JSON is checked for the structure the C registry relies on; a
bad file fails the build with a message naming the file and the JSON path.
The output defines the tables declared in native/src/schema/registry.h,
including each schema's JSON text (minified) for pygraph_schema_get_json.

Standard library only: the build must not need jsonschema.
"""

import json
import math
import os
import re
import struct
import sys

# Attribute type names of the schema files -> C enumerators of
# native/src/schema/registry.h (pg_attr_type).  The generator also emits the
# C name table from this mapping, so the names live here only.
ATTR_TYPES = {
    "f32": "pg_attr_f32",
    "s64": "pg_attr_s64",
    "bool": "pg_attr_bool",
    "string": "pg_attr_string",
    "f32[]": "pg_attr_f32s",
    "s64[]": "pg_attr_s64s",
}
SHAPE_INFERENCE = {"identity": "pg_shape_inference_identity", "none": "pg_shape_inference_none"}
TOP_KEYS_REQUIRED = ("kind", "version", "doc", "inputs", "outputs", "attributes", "type_constraints",
                     "shape_inference", "inplace", "supported")
TOP_KEYS_OPTIONAL = ("num_inputs", "num_outputs")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ANY_TYPE = "any"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class SchemaError(Exception):
    pass


def fail(where, message):
    raise SchemaError(f"{where}: {message}")


def header_data_types(header_text):
    """Names of the pygraph_data_type enumerators, e.g. {'f32', 'bf16', ...}."""
    match = re.search(r"typedef\s+enum\s+pygraph_data_type\s*\{(.*?)\}", header_text, re.S)
    if not match:
        raise SchemaError("the header declares no 'typedef enum pygraph_data_type { ... }'")
    body = re.sub(r"/\*.*?\*/", " ", match.group(1), flags=re.S)
    return re.findall(r"pygraph_data_type_([A-Za-z0-9_]+)\s*=", body)


def check_meta_schema(meta, data_types):
    """The enums of op.schema.json must agree with the header and ATTR_TYPES."""
    try:
        schema_types = meta["$defs"]["data_type"]["enum"]
        attr_types = meta["$defs"]["attribute"]["properties"]["type"]["enum"]
    except (KeyError, TypeError):
        raise SchemaError("op.schema.json: expected $defs.data_type.enum and "
                          "$defs.attribute.properties.type.enum")
    header_types = sorted(t for t in data_types if t != "undef")
    if sorted(schema_types) != header_types:
        raise SchemaError(f"op.schema.json: $defs.data_type.enum {sorted(schema_types)} differs from the "
                          f"data types of pygraph.h {header_types}")
    if sorted(attr_types) != sorted(ATTR_TYPES):
        raise SchemaError(f"op.schema.json: attribute types {sorted(attr_types)} differ from the ones the C "
                          f"registry implements {sorted(ATTR_TYPES)}")


def expect(value, kind, where):
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }[kind](value)
    if not ok:
        fail(where, f"expected a JSON {kind}, got {json.dumps(value)}")
    return value


def check_keys(obj, required, optional, where):
    for key in required:
        if key not in obj:
            fail(where, f"missing required key \"{key}\"")
    for key in obj:
        if key not in required and key not in optional:
            fail(where, f"unknown key \"{key}\" (allowed: {', '.join(list(required) + list(optional))})")


def check_ports(schema, key, type_vars, where):
    ports = expect(schema[key], "array", f"{where}.{key}")
    for position, port in enumerate(ports):
        here = f"{where}.{key}[{position}]"
        expect(port, "object", here)
        check_keys(port, ("index", "name", "type", "doc"), (), here)
        if expect(port["index"], "integer", f"{here}.index") != position:
            fail(f"{here}.index", f"ports are listed in index order from 0: expected {position}, got {port['index']}")
        if not IDENTIFIER.match(expect(port["name"], "string", f"{here}.name")):
            fail(f"{here}.name", f"not an identifier: {json.dumps(port['name'])}")
        port_type = expect(port["type"], "string", f"{here}.type")
        if port_type != ANY_TYPE and port_type not in type_vars:
            fail(f"{here}.type", f"\"{port_type}\" is neither \"any\" nor a type variable of type_constraints "
                                 f"({', '.join(type_vars) or 'none declared'})")
        expect(port["doc"], "string", f"{here}.doc")
    return ports


def check_count(schema, key, listed, where):
    """(min, max) with max None for unbounded; default: exactly the listed ports."""
    if key not in schema:
        return listed, listed
    here = f"{where}.{key}"
    count = expect(schema[key], "object", here)
    check_keys(count, ("min", "max"), (), here)
    low = expect(count["min"], "integer", f"{here}.min")
    high = count["max"]
    if high is not None:
        expect(high, "integer", f"{here}.max")
    if low < 0 or (high is not None and high < low):
        fail(here, f"expected 0 <= min <= max, got min {low}, max {high}")
    port_key = key.replace("num_", "")
    if high is not None and listed > high:
        fail(here, f"{listed} {port_key} listed but at most {high} allowed")
    if (high is None or high > 0) and listed == 0:
        fail(f"{where}.{port_key}", "a kind that takes ports must list at least one (later ports reuse the last)")
    return low, high


def check_default(attr_type, value, where):
    scalar = attr_type.rstrip("[]")
    values = value if attr_type.endswith("[]") else [value]
    if attr_type.endswith("[]") and not isinstance(value, list):
        fail(where, f"default of a {attr_type} attribute must be an array, got {json.dumps(value)}")
    for item in values:
        if scalar == "f32":
            good = isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item)
            if good and math.isinf(f32_round(float(item))):
                good = False
        elif scalar == "s64":
            good = isinstance(item, int) and not isinstance(item, bool) and INT64_MIN <= item <= INT64_MAX
        elif scalar == "bool":
            good = isinstance(item, bool)
        else:
            good = isinstance(item, str)
        if not good:
            fail(where, f"default {json.dumps(value)} is not a valid {attr_type} value")


def f32_round(value):
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.inf


def check_schema(schema, file_name, data_types):
    where = os.path.basename(file_name)
    expect(schema, "object", where)
    check_keys(schema, TOP_KEYS_REQUIRED, TOP_KEYS_OPTIONAL, where)
    kind = expect(schema["kind"], "string", f"{where}.kind")
    if not IDENTIFIER.match(kind):
        fail(f"{where}.kind", f"not an identifier: {json.dumps(kind)}")
    if os.path.basename(file_name) != f"{kind}.json":
        fail(f"{where}.kind", f"kind \"{kind}\" must live in a file named {kind}.json")
    if expect(schema["version"], "integer", f"{where}.version") < 1:
        fail(f"{where}.version", f"expected >= 1, got {schema['version']}")
    expect(schema["doc"], "string", f"{where}.doc")

    constraints = expect(schema["type_constraints"], "object", f"{where}.type_constraints")
    for var, types in constraints.items():
        here = f"{where}.type_constraints.{var}"
        if not IDENTIFIER.match(var) or var == ANY_TYPE:
            fail(here, f"type variable name must be an identifier other than \"any\", got {json.dumps(var)}")
        if not expect(types, "array", here):
            fail(here, "a type variable needs at least one data type")
        for position, name in enumerate(types):
            if name not in data_types or name == "undef":
                fail(f"{here}[{position}]", f"unknown data type {json.dumps(name)} "
                                            f"(known: {', '.join(t for t in data_types if t != 'undef')})")
        if len(set(types)) != len(types):
            fail(here, "data types are listed twice")

    inputs = check_ports(schema, "inputs", constraints, where)
    outputs = check_ports(schema, "outputs", constraints, where)
    used = {port["type"] for port in inputs + outputs}
    for var in constraints:
        if var not in used:
            fail(f"{where}.type_constraints.{var}", "type variable is not used by any port")
    num_inputs = check_count(schema, "num_inputs", len(inputs), where)
    num_outputs = check_count(schema, "num_outputs", len(outputs), where)

    attributes = expect(schema["attributes"], "object", f"{where}.attributes")
    for name, attr in attributes.items():
        here = f"{where}.attributes.{name}"
        if not IDENTIFIER.match(name):
            fail(here, f"attribute name must be an identifier, got {json.dumps(name)}")
        expect(attr, "object", here)
        check_keys(attr, ("type", "required", "doc"), ("default",), here)
        if attr["type"] not in ATTR_TYPES:
            fail(f"{here}.type", f"unknown attribute type {json.dumps(attr['type'])} (known: {', '.join(ATTR_TYPES)})")
        required = expect(attr["required"], "boolean", f"{here}.required")
        expect(attr["doc"], "string", f"{here}.doc")
        if required and "default" in attr:
            fail(f"{here}.default", "a required attribute has no default")
        if not required:
            if "default" not in attr:
                fail(here, "an optional attribute needs a \"default\"")
            check_default(attr["type"], attr["default"], f"{here}.default")

    if schema["shape_inference"] not in SHAPE_INFERENCE:
        fail(f"{where}.shape_inference", f"expected one of {', '.join(SHAPE_INFERENCE)}, "
                                         f"got {json.dumps(schema['shape_inference'])}")
    for position, pair in enumerate(expect(schema["inplace"], "array", f"{where}.inplace")):
        here = f"{where}.inplace[{position}]"
        expect(pair, "object", here)
        check_keys(pair, ("input", "output"), (), here)
        for side, limit in (("input", num_inputs[1]), ("output", num_outputs[1])):
            index = expect(pair[side], "integer", f"{here}.{side}")
            if index < 0 or (limit is not None and index >= limit):
                fail(f"{here}.{side}", f"{side} {index} does not exist")
    expect(schema["supported"], "boolean", f"{where}.supported")
    return num_inputs, num_outputs


def c_string(text):
    out = []
    for ch in text.encode("utf-8"):
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7F and ch != 0x3F:  # '?' escaped: no trigraphs
            out.append(chr(ch))
        else:
            out.append(f"\\{ch:03o}")
    return '"' + "".join(out) + '"'


def c_f32(value):
    rounded = f32_round(float(value))
    return f"{rounded.hex()}f" if rounded != 0 else ("-0.0f" if math.copysign(1, rounded) < 0 else "0.0f")


def c_count(value):
    return "PG_SCHEMA_UNBOUNDED" if value is None else f"{value}u"


def emit_schema(schema, counts, out):
    kind = schema["kind"]
    var_index = {var: i for i, var in enumerate(schema["type_constraints"])}
    arrays = {}

    def array(suffix, c_type, items):
        if not items:
            arrays[suffix] = "NULL"
            return
        name = f"{kind}_{suffix}"
        out.append(f"static const {c_type} {name}[] = {{")
        out.extend(f"    {item}," for item in items)
        out.append("};")
        arrays[suffix] = name

    for port_key in ("inputs", "outputs"):
        ports = [(c_string(p["name"]), var_index.get(p["type"], "PG_SCHEMA_TYPE_ANY")) for p in schema[port_key]]
        array(port_key, "pg_schema_port", [f"{{{name}, {type_var}}}" for name, type_var in ports])
    for var, types in schema["type_constraints"].items():
        array(f"type_{var}", "pygraph_data_type", [f"pygraph_data_type_{t}" for t in types])
    array("type_constraints", "pg_type_constraint",
          [f"{{{c_string(var)}, {len(types)}u, {arrays[f'type_{var}']}}}"
           for var, types in schema["type_constraints"].items()])

    attr_items = []
    for name, attr in schema["attributes"].items():
        attr_type = attr["type"]
        value = "{0}"
        count = 0
        if "default" in attr:
            default = attr["default"]
            if attr_type.endswith("[]"):
                count = len(default)
                element = "float" if attr_type == "f32[]" else "int64_t"
                field = "f32s" if attr_type == "f32[]" else "s64s"
                if count:
                    to_c = c_f32 if attr_type == "f32[]" else (lambda v: f"INT64_C({v})")
                    array(f"default_{name}", element, [to_c(v) for v in default])
                    value = f"{{.{field} = {arrays[f'default_{name}']}}}"
            else:
                count = 1
                value = {
                    "f32": lambda v: f"{{.f32 = {c_f32(v)}}}",
                    "s64": lambda v: f"{{.s64 = INT64_C({v})}}",
                    "bool": lambda v: f"{{.boolean = {int(v)}}}",
                    "string": lambda v: f"{{.string = {c_string(v)}}}",
                }[attr_type](default)
        attr_items.append(f"{{{c_string(name)}, {ATTR_TYPES[attr_type]}, {int(attr['required'])}, "
                          f"{int('default' in attr)}, {{{ATTR_TYPES[attr_type]}, {count}u, {value}}}}}")
    array("attributes", "pg_schema_attr", attr_items)
    array("inplace", "pg_schema_inplace", [f"{{{p['input']}u, {p['output']}u}}" for p in schema["inplace"]])

    minified = json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
    (min_in, max_in), (min_out, max_out) = counts
    return "\n".join([
        "    {",
        f"        .kind = {c_string(kind)},",
        f"        .version = {schema['version']},",
        f"        .num_listed_inputs = {len(schema['inputs'])}u,",
        f"        .inputs = {arrays['inputs']},",
        f"        .min_inputs = {min_in}u,",
        f"        .max_inputs = {c_count(max_in)},",
        f"        .num_listed_outputs = {len(schema['outputs'])}u,",
        f"        .outputs = {arrays['outputs']},",
        f"        .min_outputs = {min_out}u,",
        f"        .max_outputs = {c_count(max_out)},",
        f"        .num_attributes = {len(schema['attributes'])}u,",
        f"        .attributes = {arrays['attributes']},",
        f"        .num_type_constraints = {len(schema['type_constraints'])}u,",
        f"        .type_constraints = {arrays['type_constraints']},",
        f"        .shape_inference = {SHAPE_INFERENCE[schema['shape_inference']]},",
        f"        .num_inplace = {len(schema['inplace'])}u,",
        f"        .inplace = {arrays['inplace']},",
        f"        .supported = {int(schema['supported'])},",
        f"        .json = {c_string(minified)},",
        "    },",
    ])


def load_json(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        # Duplicate keys would silently drop a definition: refuse them.
        def no_duplicates(pairs):
            keys = [k for k, _ in pairs]
            for key in keys:
                if keys.count(key) > 1:
                    raise SchemaError(f"{os.path.basename(path)}: key \"{key}\" appears twice in one object")
            return dict(pairs)

        return json.loads(text, object_pairs_hook=no_duplicates,
                          parse_constant=lambda c: fail(os.path.basename(path), f"{c} is not JSON"))
    except json.JSONDecodeError as err:
        raise SchemaError(f"{os.path.basename(path)}: invalid JSON: {err}")


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    header_path, meta_path, output_path, schema_paths = argv[1], argv[2], argv[3], argv[4:]
    try:
        with open(header_path, encoding="utf-8") as f:
            data_types = header_data_types(f.read())
        check_meta_schema(load_json(meta_path), data_types)
        schemas = []
        for path in schema_paths:
            schema = load_json(path)
            counts = check_schema(schema, path, data_types)
            schemas.append((schema, counts))
        schemas.sort(key=lambda item: item[0]["kind"])
        kinds = [s["kind"] for s, _ in schemas]
        for a, b in zip(kinds, kinds[1:]):
            if a == b:
                raise SchemaError(f"op kind \"{a}\" is declared twice")
    except SchemaError as err:
        print(f"gen_schema_tables.py: error: {err}", file=sys.stderr)
        return 1

    out = [
        "/* Generated at build time by native/tools/gen_schema_tables.py from",
        " * schemas/<Kind>.json.  Do not edit: change the JSON files. */",
        "#include \"schema/registry.h\"",
        "",
        "const char *const pg_attr_type_names[] = {",
    ]
    out.extend(f"    [{enumerator}] = {c_string(name)}," for name, enumerator in ATTR_TYPES.items())
    out.append("};")
    out.append("")
    entries = [emit_schema(schema, counts, out) for schema, counts in schemas]
    out.append("")
    out.append(f"const size_t pg_num_schemas = {len(schemas)}u;")
    out.append("const pg_schema pg_schemas[] = {")
    out.extend(entries)
    out.append("};")
    out.append("const char *const pg_schema_kinds[] = {")
    out.extend(f"    {c_string(kind)}," for kind in kinds)
    out.append("};")
    text = "\n".join(out) + "\n"
    with open(output_path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
