%% Line-oriented front end to the asn1 codecs erlc generated from the H.323 modules, so the
%% tests can drive Erlang's independent aligned-PER encoder/decoder from Node.
%%   E <Module> <Type> <term text>   ->  OK <hex> | ERR <reason>
%%   D <Module> <Type> <hex>         ->  OK <term printed with ~w> | ERR <reason>
%%   B <Module> <Type> <hex> <N>     ->  OK <µs for N decodes> <µs for N encodes>  (bench)
-module(roomgate_asn1_peer).
-export([main/0]).

main() ->
    ok = io:setopts(standard_io, [binary, {encoding, latin1}]),
    loop().

loop() ->
    case io:get_line(standard_io, "") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            Reply = try handle(string:trim(Line, trailing, "\r\n"))
                    catch Class:Reason -> err({Class, Reason}) end,
            ok = file:write(standard_io, [Reply, $\n]),
            loop()
    end.

handle(<<"E ", Rest/binary>>) ->
    [Mod, Rest1] = binary:split(Rest, <<" ">>),
    [Type, Text] = binary:split(Rest1, <<" ">>),
    Value = parse_term(Text),
    case (binary_to_atom(Mod)):encode(binary_to_atom(Type), Value) of
        {ok, Bin} -> [<<"OK ">>, binary:encode_hex(Bin)];
        {error, R} -> err(R)
    end;
handle(<<"D ", Rest/binary>>) ->
    [Mod, Type, Hex] = binary:split(Rest, <<" ">>, [global]),
    case (binary_to_atom(Mod)):decode(binary_to_atom(Type), binary:decode_hex(Hex)) of
        {ok, Value} -> [<<"OK ">>, io_lib:format("~w", [Value])];
        {error, R} -> err(R)
    end;
handle(<<"B ", Rest/binary>>) ->
    [Mod0, Type0, Hex, N0] = binary:split(Rest, <<" ">>, [global]),
    {Mod, Type, Bin, N} = {binary_to_atom(Mod0), binary_to_atom(Type0), binary:decode_hex(Hex), binary_to_integer(N0)},
    {ok, Value} = Mod:decode(Type, Bin),
    {DecUs, _} = timer:tc(fun() -> repeat(N, fun() -> {ok, _} = Mod:decode(Type, Bin) end) end),
    {EncUs, _} = timer:tc(fun() -> repeat(N, fun() -> {ok, _} = Mod:encode(Type, Value) end) end),
    [<<"OK ">>, integer_to_binary(DecUs), $\s, integer_to_binary(EncUs)];
handle(Other) -> err({bad_request, Other}).

repeat(0, _) -> ok;
repeat(N, F) -> F(), repeat(N - 1, F).

parse_term(Text) ->
    {ok, Tokens, _} = erl_scan:string(binary_to_list(Text) ++ "."),
    {ok, Term} = erl_parse:parse_term(Tokens),
    Term.

err(R) -> [<<"ERR ">>, string:replace(io_lib:format("~0p", [R]), "\n", " ", all)].
