//! CPU time of a bench run, shared by the benches that report it (included by path).

/// CPU seconds from /proc: this process (the services run in it) and the machine's busy and
/// idle time, to tell the services' share of a run from Postgres's.
pub struct Cpu {
    pub own: f64,
    pub others: f64,
    pub idle: f64,
}

impl Cpu {
    /// Linux reports both files in clock ticks of 1/100 s (USER_HZ).
    pub fn now() -> anyhow::Result<Cpu> {
        let tick = |v: &str| v.parse::<f64>().map(|t| t / 100.0);
        let own_stat = std::fs::read_to_string("/proc/self/stat")?;
        // Fields after the command name (which may hold spaces) start at the state, field 3.
        let after = own_stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .unwrap_or_default();
        let f: Vec<&str> = after.split_whitespace().collect();
        let own =
            tick(f.get(11).copied().unwrap_or("0"))? + tick(f.get(12).copied().unwrap_or("0"))?;
        let all = std::fs::read_to_string("/proc/stat")?;
        let line = all.lines().next().unwrap_or_default();
        let t: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(tick)
            .collect::<Result<_, _>>()?;
        let idle = t.get(3).copied().unwrap_or(0.0) + t.get(4).copied().unwrap_or(0.0);
        let busy = t.iter().sum::<f64>() - idle;
        Ok(Cpu {
            own,
            others: busy - own,
            idle,
        })
    }

    pub fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            own: self.own - before.own,
            others: self.others - before.others,
            idle: self.idle - before.idle,
        }
    }
}
