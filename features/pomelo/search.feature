@pomelo
Feature: Searching sessions
  GET /identity/v1/sessions with filter[field]=value, filter[created_at][from]/[to]=YYYY-MM-DD,
  sort=a,-b and page[size]/page[number] (seed 001; the seed names the path only as /sessions, DOC-05).
  Every search is scoped to the scenario's own flow, so the order and the pages are exactly these
  sessions'.

  Background:
    Given a validation flow with these sessions:
      | user_id | status      | created_at           | updated_at           |
      | usr-a   | IN_PROGRESS | 2021-07-26T10:00:00Z | 2021-07-30T10:00:00Z |
      | usr-b   | VALIDATED   | 2021-07-27T09:00:00Z | 2021-07-27T12:00:00Z |
      | usr-c   | IN_PROGRESS | 2021-07-27T11:00:00Z | 2021-07-29T08:00:00Z |
      | usr-d   | REJECTED    | 2021-07-28T23:59:00Z | 2021-07-28T23:59:30Z |
      | usr-e   | IN_PROGRESS | 2021-07-29T00:00:00Z | 2021-07-29T00:00:00Z |

  @KYC-08 @DOC-05 @control
  Scenario Outline: filter[<field>]=<value>
    When I search sessions with "filter[<field>]=<value>"
    Then the search returns, in this order, the users "<users>"

    Examples:
      | field   | value       | users               |
      | status  | IN_PROGRESS | usr-a, usr-c, usr-e |
      | status  | VALIDATED   | usr-b               |
      | user_id | usr-d       | usr-d               |
      | country | ARG         | usr-a, usr-b, usr-c, usr-d, usr-e |

  @KYC-08 @control
  Scenario: a filter nothing matches returns no session, not an error
    When I search sessions with "filter[status]=CANCELLED"
    Then the search returns no session

  @KYC-09 @control
  Scenario Outline: filter[created_at] from <from> to <to>
    When I search sessions with "filter[created_at][from]=<from>&filter[created_at][to]=<to>"
    Then the search returns, in this order, the users "<users>"

    Examples:
      | from       | to         | users               |
      | 2021-07-27 | 2021-07-28 | usr-b, usr-c, usr-d |
      | 2021-07-26 | 2021-07-26 | usr-a               |
      | 2021-07-29 | 2021-07-31 | usr-e               |
      | 2021-07-20 | 2021-07-25 |                     |

  @KYC-09 @control
  Scenario: only one end of the range
    When I search sessions with "filter[created_at][from]=2021-07-28"
    Then the search returns, in this order, the users "usr-d, usr-e"

  @KYC-11 @control
  Scenario Outline: sort=<sort>
    When I search sessions with "sort=<sort>"
    Then the search returns, in this order, the users "<users>"

    Examples:
      | sort                 | users                             |
      | created_at           | usr-a, usr-b, usr-c, usr-d, usr-e |
      | -created_at          | usr-e, usr-d, usr-c, usr-b, usr-a |
      | updated_at           | usr-b, usr-d, usr-e, usr-c, usr-a |
      | -updated_at          | usr-a, usr-c, usr-e, usr-d, usr-b |
      | status,-updated_at   | usr-a, usr-c, usr-e, usr-d, usr-b |
      | status,updated_at    | usr-e, usr-c, usr-a, usr-d, usr-b |
      | -status,created_at   | usr-b, usr-d, usr-a, usr-c, usr-e |

  @KYC-11 @control
  Scenario: a filter and a descending sort together
    When I search sessions with "filter[status]=IN_PROGRESS&sort=-created_at"
    Then the search returns, in this order, the users "usr-e, usr-c, usr-a"

  @KYC-10 @control
  Scenario Outline: page <number> of size <size>
    When I search sessions with "sort=created_at&page[size]=<size>&page[number]=<number>"
    Then the search returns, in this order, the users "<users>"
    And the search has <pages> pages and 5 sessions in all

    Examples:
      | size | number | users               | pages |
      | 2    | 1      | usr-a, usr-b        | 3     |
      | 2    | 2      | usr-c, usr-d        | 3     |
      | 2    | 3      | usr-e               | 3     |
      | 2    | 4      |                     | 3     |
      | 5    | 1      | usr-a, usr-b, usr-c, usr-d, usr-e | 1 |
      | 1    | 5      | usr-e               | 5     |
