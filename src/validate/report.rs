//! The problem report: a place in the body ([`Path`]) and the problems
//! found there ([`Report`]), each rendered once, when it is reported.

use crate::error::{Problem, ProblemType};
use crate::limits::MAX_PROBLEMS;
use crate::model::FieldError;
use crate::quote::push_cut;

/// A place in the body, built on the stack while walking it and rendered as
/// a dotted path only when a problem is reported there.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// `problem`, found in a value checked on its own (a user of a bulk
    /// request, a route's identify body), placed at this path: `email`
    /// under `users.3` is `users.3.email`, and `""` is the path itself.
    pub(crate) fn place(&self, mut problem: Problem) -> Problem {
        let mut field = self.render();
        if !problem.field.is_empty() {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(&problem.field);
        }
        problem.field = field;
        problem
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render_parent(out);
                push_cut(out, key);
            }
            Path::Index(parent, index) => {
                parent.render_parent(out);
                out.push_str(&index.to_string());
            }
        }
    }

    /// This path followed by the separator of a child segment.
    fn render_parent(&self, out: &mut String) {
        if !matches!(self, Path::Root) {
            self.render_into(out);
            out.push('.');
        }
    }
}

/// Every problem found so far: the first [`MAX_PROBLEMS`], and a count of
/// the rest.
#[derive(Default)]
pub(crate) struct Report {
    problems: Vec<Problem>,
    left_out: usize,
}

impl Report {
    pub(crate) fn add(&mut self, path: &Path<'_>, error: FieldError) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(error.at(path.render()));
        } else {
            self.left_out += 1;
        }
    }

    /// Adds a problem already placed (a bulk request's, under `users.N`).
    pub(crate) fn push(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.left_out += 1;
        }
    }

    /// Adds `other`'s problems after these, as if each were added here:
    /// at most [`MAX_PROBLEMS`] listed in all, the rest counted.
    pub(crate) fn append(&mut self, other: Report) {
        for problem in other.problems {
            self.push(problem);
        }
        self.left_out += other.left_out;
    }

    pub(crate) fn add_new(&mut self, path: &Path<'_>, kind: ProblemType, message: impl Into<String>) {
        self.add(path, FieldError::new(kind, message));
    }

    /// Problems found so far, listed or not.
    pub(crate) fn count(&self) -> usize {
        self.problems.len() + self.left_out
    }

    /// The list: at most [`MAX_PROBLEMS`], then one saying how many more there were.
    pub(crate) fn into_problems(mut self) -> Vec<Problem> {
        if self.left_out > 0 {
            let plural = if self.left_out == 1 { "" } else { "s" };
            self.problems.push(Problem::new(
                "",
                ProblemType::TooManyProblems,
                format!(
                    "{} more problem{plural} not listed: an answer lists at most {MAX_PROBLEMS}; fix these and send the request again",
                    self.left_out
                ),
            ));
        }
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::QUOTED_CHARS;

    #[test]
    fn paths_render_dotted_with_long_keys_cut() {
        let root = Path::Root;
        let channel = root.key("channel_data");
        let id = channel.key("97c5837d-c65c-4d54-aa39-080eeb81c69d");
        let tokens = id.key("tokens");
        assert_eq!(tokens.index(2).render(), "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d.tokens.2");
        assert_eq!(root.key("phone_number").render(), "phone_number");
        assert_eq!(root.render(), "");
        let at_limit = "é".repeat(QUOTED_CHARS);
        assert_eq!(root.key(&at_limit).render(), at_limit);
        let past = "é".repeat(QUOTED_CHARS + 1);
        let cut = root.key(&past).key("x").render();
        assert_eq!(cut, format!("{}….x", "é".repeat(QUOTED_CHARS - 1)));
    }

    #[test]
    fn problems_found_apart_are_placed_under_a_path() {
        let users = Path::Root.key("users");
        let user = users.index(3);
        let placed = |path: &Path<'_>, field: &str| path.place(FieldError::format("no").at(field)).field;
        assert_eq!(placed(&user, "email"), "users.3.email");
        assert_eq!(
            placed(&user, "preferences.default.channel_types.push"),
            "users.3.preferences.default.channel_types.push"
        );
        assert_eq!(placed(&user, ""), "users.3");
        assert_eq!(placed(&Path::Root, "email"), "email");
        assert_eq!(placed(&Path::Root, ""), "");
        // The field was rendered (and cut) where it was found: it is not cut again.
        let long = format!("{}.{}", "k".repeat(200), "v".repeat(200));
        assert_eq!(placed(&user, &long), format!("users.3.{long}"));
    }

    #[test]
    fn a_report_appended_lists_and_counts_as_one_report() {
        for (first, then) in [(0, 0), (50, 60), (100, 1), (101, 5), (3, 200)] {
            let (mut one, mut two, mut both) = (Report::default(), Report::default(), Report::default());
            for index in 0..first + then {
                let (report, path) =
                    if index < first { (&mut one, Path::Root.key("a")) } else { (&mut two, Path::Root.key("b")) };
                report.add(&path.index(index), FieldError::format("no"));
                both.add(&path.index(index), FieldError::format("no"));
            }
            one.append(two);
            assert_eq!(one.count(), both.count(), "{first} then {then}");
            assert_eq!(one.into_problems(), both.into_problems(), "{first} then {then}");
        }
    }

    #[test]
    fn the_report_keeps_the_first_hundred_and_counts_the_rest() {
        for (added, listed) in
            [(MAX_PROBLEMS, MAX_PROBLEMS), (MAX_PROBLEMS + 1, MAX_PROBLEMS + 1), (1000, MAX_PROBLEMS + 1)]
        {
            let mut report = Report::default();
            for index in 0..added {
                report.add(&Path::Root.index(index), FieldError::format("no"));
            }
            assert_eq!(report.count(), added);
            let problems = report.into_problems();
            assert_eq!(problems.len(), listed, "{added}");
            if added > MAX_PROBLEMS {
                let last = problems.last().unwrap();
                assert_eq!((last.field.as_str(), last.kind), ("", ProblemType::TooManyProblems));
                assert!(
                    last.message.starts_with(&format!("{} more problem", added - MAX_PROBLEMS)),
                    "{}",
                    last.message
                );
            }
        }
    }
}
