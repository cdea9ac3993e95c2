-- One issuer signs in one organisation. Two organisations with the same issuer would let
-- everyone that provider signs in choose either one (a non-member's officers signing in as
-- a member's). A provider shared by several departments is a shared issuer (0006), whose
-- claims name each person's department. Client ids are the issuer's own, so a unique
-- issuer makes (issuer, client id) unique too.
CREATE UNIQUE INDEX identity_providers_issuer ON identity_providers (issuer);
