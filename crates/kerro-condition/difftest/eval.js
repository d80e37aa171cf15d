// Evaluates GrowthBook conditions with the official JS SDK, for the
// differential test. Reads JSON lines {"condition", "attributes", "savedGroups"}
// from stdin and prints one line per input: "true", "false", or "throw" when
// the SDK throws (e.g. on {"$or": null}).
"use strict";

const fs = require("fs");
const { evalCondition } = require("@growthbook/growthbook");

// The SDK logs every unknown operator; the generator produces many on purpose.
console.error = () => {};

const lines = fs.readFileSync(0, "utf8").split("\n");
const out = [];
for (const line of lines) {
  if (line === "") continue;
  const { condition, attributes, savedGroups } = JSON.parse(line);
  let result;
  try {
    result = evalCondition(attributes, condition, savedGroups) ? "true" : "false";
  } catch (e) {
    result = "throw";
  }
  out.push(result);
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
