// The four self-checks and their published scoring, with no DOM and no network: the page
// (self-check.js) draws the questions from here and scores the answers here, in the browser.
// Each instrument's source is given with it; tests run these functions with node.

const OFTEN = ["Not at all", "Several days", "More than half the days", "Nearly every day"];
const BOTHERED = ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"];

/** Next steps: talk to a peer supporter, professionals of a specialty, the crisis lines. */
const PEER = "peer";
const CRISIS = "crisis";
const PROFESSIONALS = "professionals";

export const INSTRUMENTS = {
  phq9: {
    name: "PHQ-9",
    topic: "Depression",
    specialty: "DEPRESSION",
    prompt: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    source: "Patient Health Questionnaire (PHQ-9): Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief "
      + "depression severity measure. J Gen Intern Med 2001;16:606–613. Developed by Drs Spitzer, Williams, Kroenke and "
      + "colleagues with an educational grant from Pfizer Inc.; no permission is required to reproduce, translate, "
      + "display or distribute it (public domain). Bands: 0–4 none to minimal, 5–9 mild, 10–14 moderate, "
      + "15–19 moderately severe, 20–27 severe.",
    items: [
      "Little interest or pleasure in doing things",
      "Feeling down, depressed, or hopeless",
      "Trouble falling or staying asleep, or sleeping too much",
      "Feeling tired or having little energy",
      "Poor appetite or overeating",
      "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
      "Trouble concentrating on things, such as reading the newspaper or watching television",
      "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or "
        + "restless that you have been moving around a lot more than usual",
      "Thoughts that you would be better off dead or of hurting yourself in some way",
    ],
    options: OFTEN,
    bands: [
      { upTo: 4, key: "minimal", label: "None to minimal (0–4)", steps: [PEER] },
      { upTo: 9, key: "mild", label: "Mild (5–9)", steps: [PEER, PROFESSIONALS] },
      { upTo: 14, key: "moderate", label: "Moderate (10–14)", steps: [PEER, PROFESSIONALS] },
      { upTo: 19, key: "moderately-severe", label: "Moderately severe (15–19)", steps: [PROFESSIONALS, PEER, CRISIS] },
      { upTo: 27, key: "severe", label: "Severe (20–27)", steps: [CRISIS, PROFESSIONALS, PEER] },
    ],
    // item 9, thoughts of being better off dead or of self-harm: any answer but "Not at all"
    urgentItem: 8,
  },
  gad7: {
    name: "GAD-7",
    topic: "Anxiety",
    specialty: "ANXIETY",
    prompt: "Over the last 2 weeks, how often have you been bothered by the following problems?",
    source: "Generalized Anxiety Disorder 7 (GAD-7): Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for "
      + "assessing generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092–1097. Developed with an "
      + "educational grant from Pfizer Inc.; no permission is required to reproduce, translate, display or distribute "
      + "it (public domain). Bands: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.",
    items: [
      "Feeling nervous, anxious, or on edge",
      "Not being able to stop or control worrying",
      "Worrying too much about different things",
      "Trouble relaxing",
      "Being so restless that it is hard to sit still",
      "Becoming easily annoyed or irritable",
      "Feeling afraid, as if something awful might happen",
    ],
    options: OFTEN,
    bands: [
      { upTo: 4, key: "minimal", label: "Minimal (0–4)", steps: [PEER] },
      { upTo: 9, key: "mild", label: "Mild (5–9)", steps: [PEER, PROFESSIONALS] },
      { upTo: 14, key: "moderate", label: "Moderate (10–14)", steps: [PEER, PROFESSIONALS] },
      { upTo: 21, key: "severe", label: "Severe (15–21)", steps: [PROFESSIONALS, PEER, CRISIS] },
    ],
  },
  pcl5: {
    name: "PCL-5",
    topic: "Post-traumatic stress",
    specialty: "TRAUMA_AND_PTSD",
    prompt: "Below is a list of problems that people sometimes have in response to a very stressful experience, such "
      + "as a critical incident. In the past month, how much were you bothered by:",
    source: "PTSD Checklist for DSM-5 (PCL-5): Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP (2013), "
      + "U.S. Department of Veterans Affairs, National Center for PTSD; public domain. The total of the 20 items "
      + "(0–80) is compared with the cut-point the National Center for PTSD gives: a score of 31–33 or more suggests "
      + "probable PTSD, to be confirmed by a professional's assessment.",
    items: [
      "Repeated, disturbing, and unwanted memories of the stressful experience",
      "Repeated, disturbing dreams of the stressful experience",
      "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were "
        + "actually back there reliving it)",
      "Feeling very upset when something reminded you of the stressful experience",
      "Having strong physical reactions when something reminded you of the stressful experience (for example, heart "
        + "pounding, trouble breathing, sweating)",
      "Avoiding memories, thoughts, or feelings related to the stressful experience",
      "Avoiding external reminders of the stressful experience (for example, people, places, conversations, "
        + "activities, objects, or situations)",
      "Trouble remembering important parts of the stressful experience",
      "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts such "
        + "as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is completely "
        + "dangerous)",
      "Blaming yourself or someone else for the stressful experience or what happened after it",
      "Having strong negative feelings such as fear, horror, anger, guilt, or shame",
      "Loss of interest in activities that you used to enjoy",
      "Feeling distant or cut off from other people",
      "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving feelings "
        + "for people close to you)",
      "Irritable behavior, angry outbursts, or acting aggressively",
      "Taking too many risks or doing things that could cause you harm",
      "Being “superalert” or watchful or on guard",
      "Feeling jumpy or easily startled",
      "Having difficulty concentrating",
      "Trouble falling or staying asleep",
    ],
    options: BOTHERED,
    bands: [
      { upTo: 30, key: "below", label: "Below the cut-point (0–30)", steps: [PEER] },
      { upTo: 33, key: "cut-point", label: "Within the cut-point range (31–33): probable PTSD", steps: [PROFESSIONALS, PEER] },
      { upTo: 80, key: "above", label: "Above the cut-point (34–80): probable PTSD", steps: [PROFESSIONALS, PEER, CRISIS] },
    ],
  },
  auditc: {
    name: "AUDIT-C",
    topic: "Alcohol",
    specialty: "SUBSTANCE_USE",
    prompt: "About your drinking over the past year:",
    source: "AUDIT-C, the first three questions of the WHO's Alcohol Use Disorders Identification Test: Bush K, "
      + "Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern "
      + "Med 1998;158:1789–1795. Free to use. Total 0–12; a score of 4 or more for men, 3 or more for women, is a "
      + "positive screen for drinking at a level that can harm health.",
    items: [
      "How often do you have a drink containing alcohol?",
      "How many standard drinks containing alcohol do you have on a typical day?",
      "How often do you have six or more drinks on one occasion?",
    ],
    choices: [
      ["Never", "Monthly or less", "2–4 times a month", "2–3 times a week", "4 or more times a week"],
      ["1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"],
      ["Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"],
    ],
    // the cut-point depends on sex: asked on the page, kept nowhere
    cutPoints: { men: 4, women: 3 },
    bands: [
      { key: "below", label: "Below the cut-point", steps: [PEER] },
      { key: "positive", label: "At or above the cut-point", steps: [PROFESSIONALS, PEER] },
    ],
  },
};

/** The answer choices of one item: [label, points] pairs. */
export function choices(id, item) {
  const instrument = INSTRUMENTS[id];
  const labels = instrument.choices ? instrument.choices[item] : instrument.options;
  return labels.map((text, points) => [text, points]);
}

/** True when the answers so far call for the crisis lines at once (PHQ-9 item 9 above 0). */
export function urgent(id, answers) {
  const item = INSTRUMENTS[id].urgentItem;
  return item !== undefined && Number.isInteger(answers[item]) && answers[item] > 0;
}

/**
 * Score one instrument. `answers` holds each item's points (an integer) or null when not
 * answered; AUDIT-C also takes `cutPoint` ("men" or "women"). Returns
 * { complete, missing: [item indexes], total, band, crisis } — band and total null until
 * complete. AUDIT-C's questions 2 and 3 count 0 when question 1 is "Never".
 */
export function score(id, answers, { cutPoint = null } = {}) {
  const instrument = INSTRUMENTS[id];
  if (!instrument) throw new Error(`no instrument ${id}`);
  const count = instrument.items.length;
  const given = Array.from({ length: count }, (_, item) => answers[item]);
  const neverDrinks = id === "auditc" && given[0] === 0;
  const missing = given
    .map((value, item) => (valid(id, item, value) || (neverDrinks && item > 0) ? null : item))
    .filter((item) => item !== null);
  const needsCut = id === "auditc" && !(cutPoint in instrument.cutPoints);
  const crisis = urgent(id, given);
  if (missing.length || needsCut) return { complete: false, missing, needsCutPoint: needsCut, total: null, band: null, crisis };
  const total = given.reduce((sum, value, item) => sum + (neverDrinks && item > 0 ? 0 : value), 0);
  let band;
  if (id === "auditc") band = instrument.bands[total >= instrument.cutPoints[cutPoint] ? 1 : 0];
  else band = instrument.bands.find((candidate) => total <= candidate.upTo);
  const steps = crisis && !band.steps.includes(CRISIS) ? [CRISIS, ...band.steps] : band.steps;
  return { complete: true, missing: [], needsCutPoint: false, total, band: { ...band, steps }, crisis };
}

function valid(id, item, value) {
  return Number.isInteger(value) && value >= 0 && value < choices(id, item).length;
}
