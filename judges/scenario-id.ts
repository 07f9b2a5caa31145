// A scenario's stable ID: its @ID tag (e.g. @ISO-01). Rows of a Scenario Outline that share one ID
// tag get the row number as a suffix (PORT-02-1, PORT-02-2): IDs must be unique in summary.json, and
// the ID labels the scenario's containers, which must not be mistaken for a sibling row's when rows
// run in parallel. An Examples block of one row tagged with its own ID keeps that ID as it is.

const ID_TAG = /^@[A-Z]+(-[A-Z0-9]+)+$/;

export function isIdTag(name: string): boolean {
  return ID_TAG.test(name);
}

interface GherkinNode { [key: string]: any }

/** Where an outline row sits: its Examples block and its 1-based number among the outline's rows. */
function findRow(document: GherkinNode | undefined, rowId: string): { examples: GherkinNode; number: number } | undefined {
  const scenarios: GherkinNode[] = [];
  const collect = (children: GherkinNode[] = []) => {
    for (const child of children) {
      if (child.scenario) scenarios.push(child.scenario);
      if (child.rule) collect(child.rule.children);
    }
  };
  collect(document?.feature?.children);
  for (const scenario of scenarios) {
    let number = 0;
    for (const examples of scenario.examples ?? []) {
      for (const row of examples.tableBody ?? []) {
        number++;
        if (row.id === rowId) return { examples, number };
      }
    }
  }
  return undefined;
}

export function scenarioIdOf(pickle: { name: string; tags: ReadonlyArray<{ name: string }>; astNodeIds: readonly string[] }, document?: GherkinNode): string {
  const idTag = pickle.tags.map((t) => t.name).find(isIdTag);
  if (!idTag) return pickle.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  const id = idTag.slice(1);
  if ((pickle.astNodeIds ?? []).length < 2) return id;
  const row = findRow(document, pickle.astNodeIds[1]!);
  if (!row) return id;
  const ownTag = (row.examples.tags ?? []).some((t: { name: string }) => t.name === idTag);
  return ownTag && (row.examples.tableBody ?? []).length === 1 ? id : `${id}-${row.number}`;
}
