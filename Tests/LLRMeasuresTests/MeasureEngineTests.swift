import LLRCore
import LLRMeasures
import LLRTestSupport
import Testing

/// Each measure of contract §7 on hand-made events whose answer is known.
@Suite("Measures computed from events")
struct MeasureEngineTests {
    @Test func contactsAndReferralsCountInTheCouncilsOwnArea() throws {
        let r = try measures([
            TestEvent(id: "e1", person: "p1", type: "CONTACT", start: "2024-04-02", la: "E10000018", sources: "LCC"),
            TestEvent(id: "e2", person: "p2", type: "CONTACT", start: "2024-05-02", la: "E06000016", sources: "LCC"),
            TestEvent(id: "e3", person: "p3", type: "CONTACT", start: "2024-06-30", la: "E10000018", sources: "LEICS"),
            TestEvent(id: "e4", person: "p3", type: "REFERRAL", start: "2024-06-30", la: "E10000018", sources: "LEICS"),
            TestEvent(id: "e5", person: "p4", type: "CONTACT", start: "2024-07-01", la: "E10000018", sources: "LEICS"),
        ])
        #expect(r.figure("CONTACTS", q1)?.numerator == 3)
        #expect(r.figure("CONTACTS", q1, "E06000016")?.numerator == 2)  // LCC's contact about a county child is LCC's work
        #expect(r.figure("CONTACTS", q1, "E10000018")?.numerator == 1)
        #expect(r.figure("CONTACTS", q2)?.numerator == 1)
        let ratio = try #require(r.figure("CONTACT_TO_REFERRAL", q1))
        #expect(ratio.numerator == 1 && ratio.denominator == 3 && abs((ratio.value ?? 0) - 100.0 / 3) < 1e-9)
        #expect(r.figure("CONTACT_TO_REFERRAL", q2)?.value == 0)
        #expect(r.figure("CONTACT_TO_REFERRAL", q2, "E06000016")?.value == nil)
        #expect(r.figure("CONTACT_TO_REFERRAL", q2, "E06000016")?.note == "no CONTACTS in the quarter")
    }

    @Test func reReferralsLookBack365Days() throws {
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "REFERRAL", start: "2023-05-01"),
            TestEvent(id: "b", person: "p1", type: "REFERRAL", start: "2024-04-30"),  // 365 days after a: a re-referral
            TestEvent(id: "c", person: "p2", type: "REFERRAL", start: "2023-04-30"),
            TestEvent(id: "d", person: "p2", type: "REFERRAL", start: "2024-05-01"),  // 367 days after c: not
            TestEvent(id: "e", person: "p3", type: "REFERRAL", start: "2024-05-10", sources: "LP"),  // not a council referral
            TestEvent(id: "f", person: "p3", type: "REFERRAL", start: "2024-06-10"),
        ])
        let f = try #require(r.figure("RE_REFERRALS_12M", q1))
        #expect(f.numerator == 1 && f.denominator == 3)
        #expect(f.historyFrom == "2023-24 Q1")
    }

    @Test func assessmentsWithin45WorkingDaysSkipBankHolidays() throws {
        // From Friday 2024-03-01, 45 working days skip Good Friday (29 March),
        // Easter Monday (1 April) and the Early May bank holiday (6 May): the
        // 45th is Wednesday 8 May.
        let days = catalogue.workingDays
        let limit = try days.adding(45, workingDaysTo: CivilDate(year: 2024, month: 3, day: 1).dayNumber)
        #expect(CivilDate(dayNumber: limit) == CivilDate(year: 2024, month: 5, day: 8))
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "ASSESSMENT", start: "2024-03-01", end: "2024-05-08"),
            TestEvent(id: "b", person: "p2", type: "ASSESSMENT", start: "2024-03-01", end: "2024-05-09"),
            TestEvent(id: "c", person: "p3", type: "ASSESSMENT", start: "2024-06-01"),
        ])
        let f = try #require(r.figure("ASSESSMENTS_45WD", q1))
        #expect(f.numerator == 1 && f.denominator == 2)
        #expect(r.figure("ASSESSMENTS_COMPLETED", q2)?.numerator == 0)
    }

    @Test func childProtectionPlans() throws {
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "CP_PLAN", start: "2021-01-10", end: "2022-01-01"),
            TestEvent(id: "b", person: "p1", type: "CP_PLAN", start: "2024-04-10"),           // a repeat plan, open
            TestEvent(id: "c", person: "p2", type: "CP_PLAN", start: "2024-05-10", end: "2024-06-30"),  // ends on qe: not open
            TestEvent(id: "d", person: "p3", type: "CP_PLAN", start: "2022-06-30", la: "E10000018", sources: "LEICS"),  // open two years at qe
        ])
        #expect(r.figure("CP_PLANS_STARTED", q1)?.numerator == 2)
        #expect(r.figure("CP_REPEAT", q1)?.numerator == 1)
        #expect(r.figure("CP_OPEN", q1)?.numerator == 2)
        #expect(r.figure("CP_2YEARS", q1)?.numerator == 1 && r.figure("CP_2YEARS", q1)?.denominator == 2)
        let rate = try #require(r.figure("CP_OPEN_RATE", q1, "E10000018"))
        #expect(rate.numerator == 1 && rate.denominator == contract.mappings.population["E10000018"])
    }

    @Test func healthAssessmentsOfChildrenInCareJoinTwoAgencies() throws {
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "CLA_EPISODE", start: "2023-01-01"),
            TestEvent(id: "b", person: "p1", type: "LAC_HEALTH_ASSESSMENT", start: "2023-07-02", la: "E06000016", sources: "LPT"),  // the first of the 365 days up to qe
            TestEvent(id: "c", person: "p2", type: "CLA_EPISODE", start: "2023-06-01"),
            TestEvent(id: "d", person: "p2", type: "LAC_HEALTH_ASSESSMENT", start: "2023-06-30", sources: "LPT"),  // 366 days before qe: too old
            TestEvent(id: "e", person: "p3", type: "CLA_EPISODE", start: "2024-01-01"),  // in care under a year
        ])
        #expect(r.figure("CLA_OPEN", q1)?.numerator == 3)
        let f = try #require(r.figure("CLA_HEALTH_ASSESSMENT", q1))
        #expect(f.numerator == 1 && f.denominator == 2)
    }

    @Test func missingEpisodesChildrenRepeatsAndFromCare() throws {
        let r = try measures([
            TestEvent(id: "m1", person: "p1", type: "MISSING_EPISODE", start: "2024-04-01", sources: "LP;LCC"),
            TestEvent(id: "m2", person: "p1", type: "MISSING_EPISODE", start: "2024-05-01", sources: "LP"),
            TestEvent(id: "m3", person: "p1", type: "MISSING_EPISODE", start: "2024-06-01", sources: "LP"),
            TestEvent(id: "c1", person: "p1", type: "CLA_EPISODE", start: "2024-05-01"),
            TestEvent(id: "m4", person: "p2", type: "MISSING_EPISODE", start: "2024-04-05", la: "NOT_KNOWN", sources: "LP"),
            TestEvent(id: "m5", person: "p3", type: "MISSING_EPISODE", start: "2024-04-06", la: "OUTSIDE_LLR", sources: "LP"),
        ])
        #expect(r.figure("MISSING_EPISODES", q1)?.numerator == 4)  // the one outside LLR counts nowhere
        #expect(r.figure("MISSING_EPISODES", q1, "E06000016")?.numerator == 3)  // not known: LLR only
        #expect(r.figure("MISSING_CHILDREN", q1)?.numerator == 2)
        #expect(r.figure("MISSING_REPEAT", q1)?.numerator == 1)
        #expect(r.figure("MISSING_FROM_CARE", q1)?.numerator == 2)  // m2 (the day care began) and m3
    }

    @Test func aChildCountsOnceInLLRAndInEachOfTheirAreas() throws {
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "CSE_REFERRAL", start: "2024-04-01", la: "E06000016", sources: "LP"),
            TestEvent(id: "b", person: "p1", type: "CSE_REFERRAL", start: "2024-05-01", la: "E10000018", sources: "LP"),
            TestEvent(id: "c", person: "p1", type: "ED_ATTENDANCE", start: "2024-05-01", la: "E10000018", sources: "UHL"),
        ])
        #expect(r.figure("CSE_CHILDREN", q1)?.numerator == 1)
        #expect(r.figure("CSE_CHILDREN", q1, "E06000016")?.numerator == 1)
        #expect(r.figure("CSE_CHILDREN", q1, "E10000018")?.numerator == 1)
        #expect(r.figure("MULTI_AGENCY_CHILDREN", q1)?.numerator == 1)  // police and health
        #expect(r.figure("MULTI_AGENCY_CHILDREN", q1, "E06000016")?.numerator == 1)
        let cse = Int32(catalogue.measures.firstIndex { $0.code == "CSE_CHILDREN" }!)
        #expect(r.members.filter { $0.measure == cse && $0.quarter == 0 }.count == 2)
    }

    @Test func previousValueAndDirectionFollowPolarity() throws {
        let r = try measures([
            TestEvent(id: "a", person: "p1", type: "CP_PLAN", start: "2024-04-01"),
            TestEvent(id: "b", person: "p2", type: "CP_PLAN", start: "2024-04-02"),
            TestEvent(id: "c", person: "p2", type: "CP_PLAN", start: "2024-07-02"),
            TestEvent(id: "d", person: "p3", type: "CP_PLAN", start: "2024-07-03"),
        ])
        let f = try #require(r.figure("CP_REPEAT", q2))
        #expect(f.value == 50 && f.previousValue == 0 && f.direction == "worsening")
        #expect(r.figure("CP_PLANS_STARTED", q2)?.direction == "no change")
    }

    @Test func aDateOutsideTheBankHolidaysYearsIsAProblemNotAGuess() throws {
        let r = try measures([TestEvent(id: "a", person: "p1", type: "ASSESSMENT", start: "2019-01-01", end: "2024-05-01")])
        #expect(r.problems.contains { $0.contains("outside the years") })
    }
}

/// Events files that are not what the dedupe writes end in a clear failure.
@Suite("Measures: bad events")
struct BadEventsTests {
    @Test(arguments: [
        ("llr_event_id,llr_person_id,event_type,event_start,la_code,sources\ne1,p1,CONTACT,2024-04-01,E06000016,LCC\n", "no column event_end"),
        ("llr_event_id,llr_person_id,event_type,event_start,event_end,la_code,sources\ne1,p1,CONTACTZ,2024-04-01,,E06000016,LCC\n", "event type 'CONTACTZ' is not a canonical type"),
        ("llr_event_id,llr_person_id,event_type,event_start,event_end,la_code,sources\ne1,p1,CONTACT,01/04/2024,,E06000016,LCC\n", "event_start '01/04/2024' is not a date"),
        ("llr_event_id,llr_person_id,event_type,event_start,event_end,la_code,sources\ne1,p1,CONTACT,2024-02-30,,E06000016,LCC\n", "event_start '2024-02-30' is not a date"),
    ])
    func aBrokenEventsFileIsRefusedWithTheReason(text: String, reason: String) throws {
        let path = tempDir() + "/events.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try MeasureEvents.read(path: path, contract: contract)
            Issue.record("read")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test func aMissingFileIsRefused() {
        #expect(throws: MeasureFailure.self) { try MeasureEvents.read(path: tempDir() + "/nothing.csv", contract: contract) }
    }
}
