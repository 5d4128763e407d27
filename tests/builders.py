"""Hand-made survey exports in the layouts of the common platforms, for tests.

Layouts follow the platforms' documented exports: Qualtrics writes three header
rows (column ids, question text, import-id JSON); SurveyMonkey writes two (the
question once above its sub-columns, then the sub-answer: "Response",
"Open-Ended Response" or a choice label; blank under metadata columns).
"""

from __future__ import annotations

import csv
from pathlib import Path

QUALTRICS_META = [
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"America/Denver"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timeZone":"America/Denver"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"America/Denver"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("RecipientLastName", "Recipient Last Name", '{"ImportId":"recipientLastName"}'),
    ("RecipientFirstName", "Recipient First Name", '{"ImportId":"recipientFirstName"}'),
    ("RecipientEmail", "Recipient Email", '{"ImportId":"recipientEmail"}'),
    ("ExternalReference", "External Data Reference", '{"ImportId":"externalDataReference"}'),
    ("DistributionChannel", "Distribution Channel", '{"ImportId":"distributionChannel"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
]
QUALTRICS_QUESTIONS = [
    ("Q1", "How likely are you to recommend Parcelly to a friend or colleague?", '{"ImportId":"QID1"}'),
    ("Q1_NPS_GROUP", "How likely are you to recommend Parcelly to a friend or colleague? - Group", '{"ImportId":"QID1_NPS_GROUP"}'),
    ("Q2", "What is the main reason for your score?", '{"ImportId":"QID2_TEXT"}'),
    ("Q3_1", "How satisfied were you with each of the following? - Delivery driver", '{"ImportId":"QID3_1"}'),
    ("Q3_2", "How satisfied were you with each of the following? - Tracking page", '{"ImportId":"QID3_2"}'),
    ("Q4", "What one thing could we do to make sending a parcel easier for you?", '{"ImportId":"QID4_TEXT"}'),
]
# (response id, nps, reason, sat1, sat2, improve)
QUALTRICS_ANSWERS = [
    ("R_1aB2cD3eF4gH5iJ", "9", "Parcel arrived the next day, no fuss", "5", "4", "Cheaper labels for small items"),
    ("R_2kL3mN4oP5qR6sT", "3", "Driver left it in the rain and it was ruined", "1", "3", ""),
    ("R_3uV4wX5yZ6aB7cD", "7", "", "4", "4", ""),  # no open answer: skipped as empty_text
    ("R_4eF5gH6iJ7kL8mN", "10", "Tracking told me exactly when to be home", "5", "5", "Nothing, keep it up"),
]


def qualtrics_rows() -> list[list[str]]:
    cols = QUALTRICS_META + QUALTRICS_QUESTIONS
    rows = [[c[0] for c in cols], [c[1] for c in cols], [c[2] for c in cols]]
    for i, (rid, nps, reason, s1, s2, improve) in enumerate(QUALTRICS_ANSWERS):
        group = "Promoter" if int(nps) >= 9 else "Passive" if int(nps) >= 7 else "Detractor"
        meta = [f"2024-03-0{i + 1} 10:0{i}:00", f"2024-03-0{i + 1} 10:1{i}:00", "IP Address", f"203.0.113.{i + 10}", "100", "312",
                "True", f"2024-03-0{i + 1} 10:1{i}:05", rid, "", "", "", "", "anonymous", "EN"]
        rows.append(meta + [nps, group, reason, s1, s2, improve])
    return rows


SURVEYMONKEY_TOP = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
                    "Last Name", "Custom Data 1",
                    "How likely is it that you would recommend Harbour Gym to a friend or colleague?",
                    "What is the primary reason for your score?",
                    "Which of these facilities did you use this month?", "", "",
                    "How could we improve your experience at the gym?"]
SURVEYMONKEY_SUB = ["", "", "", "", "", "", "", "", "", "Response", "Open-Ended Response", "Pool", "Classes", "Sauna", "Open-Ended Response"]
SURVEYMONKEY_ANSWERS = [
    ["11422712345", "40512345", "03/01/2024 09:12:44 AM", "03/01/2024 09:15:02 AM", "198.51.100.7", "", "", "", "",
     "8", "Good classes but the changing rooms are grim", "Pool", "Classes", "", "Fix the showers"],
    ["11422712399", "40512345", "03/02/2024 07:01:10 PM", "03/02/2024 07:03:40 PM", "198.51.100.8", "", "", "", "",
     "2", "I can never get a spot in the 6am class before work", "", "Classes", "", "More early morning sessions"],
    ["11422712400", "40512345", "03/02/2024 08:00:00 PM", "03/02/2024 08:01:00 PM", "198.51.100.9", "", "", "", "",
     "10", "", "Pool", "", "Sauna", ""],  # no open answer
]


def surveymonkey_rows() -> list[list[str]]:
    return [SURVEYMONKEY_TOP, SURVEYMONKEY_SUB, *SURVEYMONKEY_ANSWERS]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]], *, numeric: bool = True) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append([int(c) if numeric and c.isdigit() and len(c) < 6 else (c or None) for c in row])
    wb.save(path)
    return path
