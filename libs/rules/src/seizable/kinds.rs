//! The kinds of income and the category the seizure rules give each (seed 004; mirrors
//! `secal.v1.IncomeKind` and `secal.v1.IncomeCategory`).

/// A kind of income, as the seizure rules tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncomeKind {
    Wages,
    SelfEmployed,
    HolidayPay,
    NoticePay,
    UnemploymentBenefit,
    SicknessBenefit,
    Pension,
    CareerBreakAllowance,
    OccupationalCompensation,
    MaintenanceReceived,
    FamilyAllowance,
    OrphansPension,
    DisabilityAllowance,
    GuaranteedIncomeElderly,
    SocialIntegrationIncome,
    CpasSocialAid,
    ThirdPartyAssistance,
    CareReimbursement,
    PrisonerPay,
    OtherEarned,
    OtherReplacement,
}

/// How the seizure rules treat a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncomeCategory {
    /// Earned-income scale.
    Earned,
    /// Replacement-income scale when every counted income is one.
    Replacement,
    /// Left out for ordinary claims, seizable for maintenance claims.
    FullyUnseizable,
    /// Left out even for maintenance claims.
    CpasSocialAid,
}

impl IncomeKind {
    pub fn category(self) -> IncomeCategory {
        use IncomeKind::*;
        match self {
            Wages | SelfEmployed | HolidayPay | NoticePay | OtherEarned => IncomeCategory::Earned,
            UnemploymentBenefit
            | SicknessBenefit
            | Pension
            | CareerBreakAllowance
            | OccupationalCompensation
            | MaintenanceReceived
            | OtherReplacement => IncomeCategory::Replacement,
            FamilyAllowance
            | OrphansPension
            | DisabilityAllowance
            | GuaranteedIncomeElderly
            | SocialIntegrationIncome
            | ThirdPartyAssistance
            | CareReimbursement
            | PrisonerPay => IncomeCategory::FullyUnseizable,
            CpasSocialAid => IncomeCategory::CpasSocialAid,
        }
    }

    /// Lower-case words, for explanations.
    pub fn describe(self) -> &'static str {
        use IncomeKind::*;
        match self {
            Wages => "wages",
            SelfEmployed => "self-employed income",
            HolidayPay => "holiday pay",
            NoticePay => "notice pay",
            UnemploymentBenefit => "unemployment benefit",
            SicknessBenefit => "sickness benefit",
            Pension => "pension",
            CareerBreakAllowance => "career-break allowance",
            OccupationalCompensation => "occupational compensation",
            MaintenanceReceived => "maintenance received",
            FamilyAllowance => "family allowance",
            OrphansPension => "orphan's pension",
            DisabilityAllowance => "disability allowance",
            GuaranteedIncomeElderly => "guaranteed income for the elderly",
            SocialIntegrationIncome => "social integration income",
            CpasSocialAid => "CPAS social aid",
            ThirdPartyAssistance => "third-party assistance allowance",
            CareReimbursement => "care reimbursement",
            PrisonerPay => "prisoner's pay",
            OtherEarned => "other earned income",
            OtherReplacement => "other replacement income",
        }
    }
}

impl IncomeCategory {
    pub fn describe(self) -> &'static str {
        match self {
            IncomeCategory::Earned => "earned",
            IncomeCategory::Replacement => "replacement",
            IncomeCategory::FullyUnseizable => "fully unseizable",
            IncomeCategory::CpasSocialAid => "CPAS social aid",
        }
    }
}
